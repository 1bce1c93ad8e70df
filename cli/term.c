/*
 * The terminal side of `login`: prompts go to stderr (stdout carries only
 * the result), answers come from stdin, and on a terminal an echo-off
 * prompt turns echo off until the line is read, even when interrupted.
 */
#include "config.h"

#include "cli/cli.h"

#include "okta/secret.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define CLI_ANSWER_MAX 1024 /* as the module's conversation */

/* Does nothing: its only effect is that read() returns EINTR, so the
 * terminal is restored before the process ends. */
static void interrupted(int sig)
{
}

/* Reads one line from fd 0 into a wiped buffer; -1 on end of input before
 * any byte, an interrupt, or a line longer than CLI_ANSWER_MAX. */
static int read_line(char **out)
{
    char *buf = malloc(CLI_ANSWER_MAX + 1);
    size_t n = 0;

    *out = NULL;
    if (buf == NULL)
        return -1;
    for (;;) {
        char c;
        ssize_t r = read(STDIN_FILENO, &c, 1);
        if (r < 0 || (r == 0 && n == 0) || n >= CLI_ANSWER_MAX) {
            okta_wipe(buf, CLI_ANSWER_MAX + 1);
            free(buf);
            return -1;
        }
        if (r == 0 || c == '\n')
            break;
        buf[n++] = c;
    }
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    *out = buf;
    return 0;
}

int cli_prompt(bool echo, const char *text, char **answer)
{
    struct termios saved, quiet;
    struct sigaction sa, old_int, old_term;
    bool interactive = isatty(STDIN_FILENO);
    bool tty = !echo && interactive && tcgetattr(STDIN_FILENO, &saved) == 0;
    int rc;

    fputs(text, stderr);
    fflush(stderr);
    if (tty) {
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = interrupted; /* no SA_RESTART: read() must return */
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        quiet = saved;
        quiet.c_lflag &= (tcflag_t)~(ECHO | ECHOE | ECHOK | ECHONL);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    rc = read_line(answer);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    if (tty || !interactive)
        fputs("\n", stderr); /* the Enter was not echoed, or not typed here */
    return rc;
}

char *cli_session_id_arg(const char *arg)
{
    char *line = NULL;

    if (strcmp(arg, "-") != 0)
        return okta_secret_strdup(arg);
    if (read_line(&line) != 0)
        return NULL;
    /* Surrounding blanks come with pasted ids; blanks inside stay, and the
     * library refuses the id. */
    char *start = line + strspn(line, " \t");
    size_t len = strlen(start);
    while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\t'))
        len--;
    memmove(line, start, len);
    okta_wipe(line + len, strlen(line + len));
    line[len] = '\0';
    return line;
}
