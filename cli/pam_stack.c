/*
 * Whether a PAM file's auth stack can let a login through without the
 * module: an auth line before the module's first one whose control can pass
 * control beyond it (a jump [value=N] landing past it, "done",
 * "sufficient", an include or substack).  pam-auth-update orders profiles
 * by priority and turns "success=end" into such a jump, so a profile placed
 * ahead of the module's would skip it for every service.
 */
#include "config.h"

#include "cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODULE_NAME "pam_okta_session.so"
#define STACK_MAX_LINES 512
#define STACK_LINE_MAX 1024

struct auth_line {
    unsigned lineno;
    bool names_module;
    bool jumps;        /* include, substack, sufficient or done */
    unsigned max_jump; /* the largest [value=N] */
};

static char *skip_space(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* The next blank-separated word of *s, NUL-terminated in place. */
static char *next_word(char **s)
{
    char *w = skip_space(*s), *end = w;

    while (*end != '\0' && !isspace((unsigned char)*end))
        end++;
    if (*end != '\0')
        *end++ = '\0';
    *s = end;
    return w;
}

static void read_bracket_control(char *control, struct auth_line *l)
{
    char *save = NULL;

    for (char *pair = strtok_r(control, " \t", &save); pair != NULL;
         pair = strtok_r(NULL, " \t", &save)) {
        const char *action = strchr(pair, '=');
        char *end;
        unsigned long n;

        if (action == NULL)
            continue;
        action++;
        if (strcmp(action, "done") == 0) {
            l->jumps = true;
            continue;
        }
        n = strtoul(action, &end, 10);
        if (end != action && *end == '\0' && n > l->max_jump)
            l->max_jump = n > STACK_MAX_LINES ? STACK_MAX_LINES : (unsigned)n;
    }
}

/* Parses one line of a PAM file; false when it is not an auth line. */
static bool parse_auth_line(char *text, unsigned lineno, struct auth_line *l)
{
    char *hash = strchr(text, '#'), *p, *type, *module;

    if (hash != NULL)
        *hash = '\0';
    memset(l, 0, sizeof(*l));
    l->lineno = lineno;
    p = skip_space(text);
    if (strncmp(p, "@include", 8) == 0 && (p[8] == '\0' || isspace((unsigned char)p[8]))) {
        l->jumps = true;
        return true;
    }
    type = next_word(&p);
    if (strcmp(type, "auth") != 0 && strcmp(type, "-auth") != 0)
        return false;
    p = skip_space(p);
    if (*p == '[') {
        char *close = strchr(p, ']');

        if (close == NULL)
            return false; /* PAM ignores the line too */
        *close = '\0';
        read_bracket_control(p + 1, l);
        p = close + 1;
    } else {
        const char *control = next_word(&p);

        l->jumps = strcmp(control, "sufficient") == 0 || strcmp(control, "include") == 0 ||
                   strcmp(control, "substack") == 0;
    }
    module = next_word(&p);
    const char *base = strrchr(module, '/');
    l->names_module = strcmp(base ? base + 1 : module, MODULE_NAME) == 0;
    return true;
}

enum cli_stack cli_pam_stack_check(const char *path, char *detail, size_t len)
{
    struct auth_line *lines;
    char text[STACK_LINE_MAX];
    unsigned lineno = 0;
    size_t n = 0, target;
    FILE *f = fopen(path, "re");

    if (f == NULL) {
        snprintf(detail, len, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? CLI_STACK_UNUSED : CLI_STACK_UNREADABLE;
    }
    lines = calloc(STACK_MAX_LINES, sizeof(*lines));
    if (lines == NULL) {
        fclose(f);
        snprintf(detail, len, "out of memory");
        return CLI_STACK_UNREADABLE;
    }
    while (fgets(text, sizeof(text), f) != NULL) {
        lineno++;
        if (strchr(text, '\n') == NULL && !feof(f)) {
            snprintf(detail, len, "%s line %u is longer than %d bytes", path, lineno,
                     STACK_LINE_MAX - 1);
            break;
        }
        if (n == STACK_MAX_LINES) {
            snprintf(detail, len, "%s has more than %d auth lines", path, STACK_MAX_LINES);
            break;
        }
        if (parse_auth_line(text, lineno, &lines[n]))
            n++;
    }
    if (!feof(f)) {
        if (ferror(f))
            snprintf(detail, len, "%s: read error", path);
        fclose(f);
        free(lines);
        return CLI_STACK_UNREADABLE;
    }
    fclose(f);
    for (target = 0; target < n && !lines[target].names_module; target++)
        ;
    if (target == n) {
        free(lines);
        snprintf(detail, len, "%s does not name %s", path, MODULE_NAME);
        return CLI_STACK_UNUSED;
    }
    for (size_t i = 0; i < target; i++) {
        if (lines[i].jumps || (lines[i].max_jump > 0 && i + lines[i].max_jump >= target)) {
            snprintf(detail, len,
                     "%s line %u can skip %s (line %u): a login can pass without Okta",
                     path, lines[i].lineno, MODULE_NAME, lines[target].lineno);
            free(lines);
            return CLI_STACK_SKIPPABLE;
        }
    }
    snprintf(detail, len, "%s: no line before %s (line %u) can skip it", path, MODULE_NAME,
             lines[target].lineno);
    free(lines);
    return CLI_STACK_SAFE;
}
