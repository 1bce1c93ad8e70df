"""The fake's answers checked against Okta's own descriptions.

* Session and Error bodies against the `Session` / `Error` component schemas of
  the 2025.08.0 Management spec (vendored excerpt in spec/).
* Authentication API bodies against the documented examples (REFERENCE.md
  §8.8/§8.9 and the D-authn primary-authentication examples): same keys, same
  JSON types.
* Common headers (X-Okta-Request-Id, X-Rate-Limit-*, Date, Content-Type).

So the fake cannot drift into agreeing with the module's misreadings.
"""

import copy
import email.utils
import json
import os
import re
import shutil
import sys
import tempfile
import time
import unittest

import jsonschema
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from fake_okta import FakeOkta  # noqa: E402
from okta_client import Client  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
EXCERPT = os.path.join(HERE, "spec", "sessions-excerpt.derived.yaml")
FULL_SPEC = os.path.join(REPO_ROOT, "..", "shared", "okta-api", "spec", "2025.08.0",
                         "management-oneOfInheritance.yaml")
REFERENCE = os.path.join(REPO_ROOT, "..", "shared", "okta-api", "REFERENCE.md")

ISO_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z")
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]+")

# --------------------------------------------------------------------------
# Documented examples (keys and types are what matters; values are Okta's).
# --------------------------------------------------------------------------

# REFERENCE.md §8.8 (abridged from D-authn). Kept here so the repository is
# self-contained; test_reference_examples_unchanged checks it is still the
# same as REFERENCE.md when that file is present.
EXAMPLE_MFA_REQUIRED = {
    "stateToken": "007ucIX7PATyn94hsHfOLVaXAmOBkKHWnOOLG43bsb",
    "expiresAt": "2026-07-01T09:05:00.000Z",
    "status": "MFA_REQUIRED",
    "_embedded": {
        "user": {"id": "00u1a2b3c4D5E6F7G8h9", "passwordChanged": "2026-05-01T10:00:00.000Z",
                 "profile": {"login": "alice@example.com", "firstName": "Alice",
                             "lastName": "Example", "locale": "en_US",
                             "timeZone": "Europe/Berlin"}},
        "factors": [
            {"id": "opf3hkfocI4JTLAju0g4", "factorType": "push", "provider": "OKTA",
             "profile": {"credentialId": "alice@example.com", "deviceType": "SmartPhone_IPhone",
                         "name": "Alice's iPhone", "platform": "IOS", "version": "17.5"},
             "_links": {"verify": {
                 "href": "https://example.okta.com/api/v1/authn/factors/opf3hkfocI4JTLAju0g4/verify",
                 "hints": {"allow": ["POST"]}}}},
            {"id": "ostfm3hPNYSOIOIVTQWY", "factorType": "token:software:totp", "provider": "OKTA",
             "profile": {"credentialId": "alice@example.com"},
             "_links": {"verify": {
                 "href": "https://example.okta.com/api/v1/authn/factors/ostfm3hPNYSOIOIVTQWY/verify",
                 "hints": {"allow": ["POST"]}}}},
        ],
        "policy": {"allowRememberDevice": False, "rememberDeviceLifetimeInMinutes": 0,
                   "rememberDeviceByDefault": False},
    },
    "_links": {"cancel": {"href": "https://example.okta.com/api/v1/authn/cancel",
                          "hints": {"allow": ["POST"]}}},
}

# REFERENCE.md §8.9 (abridged SUCCESS).
EXAMPLE_SUCCESS_ABRIDGED = {
    "expiresAt": "2026-07-01T09:05:00.000Z", "status": "SUCCESS",
    "sessionToken": "00Fpzf4en68pCXTsMjcX8JPMctzN2Wiw4LDOBL_9pe",
    "_embedded": {"user": {"id": "00u1a2b3c4D5E6F7G8h9",
                           "profile": {"login": "alice@example.com"}}},
}

# D-authn "Response example for primary authentication with a public
# application (success)" — the full primary-authentication SUCCESS shape.
EXAMPLE_SUCCESS_PRIMARY = {
    "expiresAt": "2015-11-03T10:15:57.000Z",
    "status": "SUCCESS",
    "sessionToken": "00Fpzf4en68pCXTsMjcX8JPMctzN2Wiw4LDOBL_9pe",
    "_embedded": {"user": {
        "id": "00ub0oNGTSWTBKOLGLNR", "passwordChanged": "2015-09-08T20:14:45.000Z",
        "profile": {"login": "dade.murphy@example.com", "firstName": "Dade",
                    "lastName": "Murphy", "locale": "en_US",
                    "timeZone": "America/Los_Angeles"}}},
}

# D-authn "... public application and show lockout failures".
EXAMPLE_LOCKED_OUT = {
    "status": "LOCKED_OUT",
    "_links": {"next": {"name": "unlock",
                        "href": "https://{yourOktaDomain}/api/v1/authn/recovery/unlock",
                        "hints": {"allow": ["POST"]}}},
}

# D-authn "... public application and an expired password".
EXAMPLE_PASSWORD_EXPIRED = {
    "stateToken": "007ucIX7PATyn94hsHfOLVaXAmOBkKHWnOOLG43bsb",
    "expiresAt": "2015-11-03T10:15:57.000Z",
    "status": "PASSWORD_EXPIRED",
    "_embedded": {
        "user": {"id": "00ub0oNGTSWTBKOLGLNR", "passwordChanged": "2015-09-08T20:14:45.000Z",
                 "profile": {"login": "dade.murphy@example.com", "firstName": "Dade",
                             "lastName": "Murphy", "locale": "en_US",
                             "timeZone": "America/Los_Angeles"}},
        "policy": {"complexity": {"minLength": 8, "minLowerCase": 1, "minUpperCase": 1,
                                  "minNumber": 1, "minSymbol": 0}},
    },
    "_links": {
        "next": {"name": "changePassword",
                 "href": "https://{yourOktaDomain}/api/v1/authn/credentials/change_password",
                 "hints": {"allow": ["POST"]}},
        "cancel": {"href": "https://{yourOktaDomain}/api/v1/authn/cancel",
                   "hints": {"allow": ["POST"]}},
    },
}


def _json_type(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shape_diff(example, actual, exact=True, path="$"):
    """Differences in keys/types between EXAMPLE and ACTUAL. exact=False
    allows extra keys in ACTUAL (the example is abridged)."""
    problems = []
    if _json_type(example) != _json_type(actual):
        return ["%s: %s in the example, %s in the fake"
                % (path, _json_type(example), _json_type(actual))]
    if isinstance(example, dict):
        for key in sorted(example.keys() - actual.keys()):
            problems.append("%s.%s: missing in the fake" % (path, key))
        if exact:
            for key in sorted(actual.keys() - example.keys()):
                problems.append("%s.%s: not in the example" % (path, key))
        for key in sorted(example.keys() & actual.keys()):
            problems += shape_diff(example[key], actual[key], exact, "%s.%s" % (path, key))
    elif isinstance(example, list) and example:
        by_type = {e.get("factorType"): e for e in example if isinstance(e, dict)}
        for i, item in enumerate(actual):
            model = example[0]
            if isinstance(item, dict) and item.get("factorType") in by_type:
                model = by_type[item.get("factorType")]
            problems += shape_diff(model, item, exact, "%s[%d]" % (path, i))
    return problems


# --------------------------------------------------------------------------
# OpenAPI 3.0 schema -> JSON Schema (Draft 7)
# --------------------------------------------------------------------------

_DROP_KEYS = {"readOnly", "writeOnly", "example", "examples", "xml", "externalDocs",
              "discriminator", "deprecated", "nullable"}

# REFERENCE.md §4: D-sess documents these two as nullable ("null if no MFA in
# this session"), the 2025.08.0 schema does not say so. Okta returns null.
KNOWN_NULLABLE = {"Session": ("lastPasswordVerification", "lastFactorVerification")}


def openapi_to_jsonschema(node):
    if isinstance(node, list):
        return [openapi_to_jsonschema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in _DROP_KEYS or key.startswith("x-"):
            continue
        if key == "properties":
            out[key] = {name: openapi_to_jsonschema(s) for name, s in value.items()}
        else:
            out[key] = openapi_to_jsonschema(value)
    if node.get("nullable") is True:
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def load_schemas(path):
    with open(path) as f:
        spec = yaml.safe_load(f)
    schemas = copy.deepcopy(spec["components"]["schemas"])
    for name, props in KNOWN_NULLABLE.items():
        for prop in props:
            schemas[name]["properties"][prop]["nullable"] = True
    return spec, {"components": {"schemas": openapi_to_jsonschema(schemas)}}


def validator_for(root, name):
    schema = dict(root)
    schema["$ref"] = "#/components/schemas/" + name
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def errors_of(validator, instance):
    return ["%s: %s" % ("/".join(map(str, e.absolute_path)) or "$", e.message)
            for e in validator.iter_errors(instance)]


# --------------------------------------------------------------------------

class SpecFiles(unittest.TestCase):

    def test_vendored_excerpt_matches_full_spec(self):
        if not os.path.exists(FULL_SPEC):
            self.skipTest("full spec not present at %s" % FULL_SPEC)
        with open(EXCERPT) as f:
            excerpt = yaml.safe_load(f)["components"]["schemas"]
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        with open(FULL_SPEC) as f:
            full = yaml.load(f, Loader=loader)["components"]["schemas"]

        def closure(name, seen):
            if name in seen:
                return
            seen.add(name)
            for ref in re.findall(r"#/components/schemas/([A-Za-z0-9_]+)",
                                  json.dumps(full[name])):
                closure(ref, seen)

        names = set()
        closure("Session", names)
        closure("Error", names)
        self.assertIn("SessionStatus", names)
        for name in sorted(names):
            self.assertEqual(excerpt[name], full[name], name)

    def test_reference_examples_unchanged(self):
        if not os.path.exists(REFERENCE):
            self.skipTest("REFERENCE.md not present at %s" % REFERENCE)
        with open(REFERENCE) as f:
            text = f.read()

        def block(heading):
            start = text.index(heading)
            body = text.index("```json", start) + len("```json")
            return json.loads(text[body:text.index("```", body)])

        self.assertEqual(block("### 8.8"), EXAMPLE_MFA_REQUIRED)
        self.assertEqual(block("### 8.9"), EXAMPLE_SUCCESS_ABRIDGED)

    def test_converted_schemas_are_not_vacuous(self):
        _, root = load_schemas(EXCERPT)
        session = validator_for(root, "Session")
        error = validator_for(root, "Error")
        self.assertTrue(errors_of(session, {"status": "BOGUS"}))
        self.assertTrue(errors_of(session, {"amr": ["password"]}))
        self.assertTrue(errors_of(session, {"idp": {"type": "GOOGLE"}}))
        self.assertTrue(errors_of(session, {"_links": {"self": {"hints": {}}}}))  # no href
        self.assertTrue(errors_of(session, {"expiresAt": 12}))
        self.assertTrue(errors_of(error, {"errorCauses": [{"errorSummary": 1}]}))
        self.assertFalse(errors_of(session, {"lastFactorVerification": None}))


class FakeAgainstSpec(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="fake-okta-schema-")
        cls.fake = FakeOkta(cls.tmp).start()
        _, root = load_schemas(EXCERPT)
        cls.session_schema = validator_for(root, "Session")
        cls.error_schema = validator_for(root, "Error")

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.fake.reset_rate_limits()
        self.fake.clear_faults()
        self.login = "user%d@example.com" % time.monotonic_ns()
        self.fake.add_user(self.login, "correct-horse")
        self.client = Client(self.fake)

    def tearDown(self):
        self.client.close()

    # -- helpers --

    def assertCommonHeaders(self, reply):
        rid = reply.header("X-Okta-Request-Id")
        self.assertTrue(rid and TOKEN_RE.fullmatch(rid), rid)
        self.assertIsNotNone(email.utils.parsedate_to_datetime(reply.header("Date")))
        for name in ("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"):
            values = reply.headers(name)
            self.assertTrue(values, name)
            for v in values:
                self.assertRegex(v, r"^[0-9]+$", name)
        reset = int(reply.header("X-Rate-Limit-Reset"))
        self.assertLessEqual(abs(reset - time.time()), 61)
        if reply.status == 204:
            self.assertIsNone(reply.header("Content-Type"))
            self.assertEqual(reply.body, b"")
        else:
            self.assertEqual(reply.header("Content-Type"), "application/json")

    def assertSession(self, reply):
        self.assertEqual(reply.status, 200, reply)
        self.assertCommonHeaders(reply)
        body = reply.json
        self.assertEqual(errors_of(self.session_schema, body), [])
        # The schema has no `required`; these are required in practice (REFERENCE §10)
        # plus everything the brief of the fake promises.
        for key in ("id", "login", "userId", "createdAt", "expiresAt", "status",
                    "lastPasswordVerification", "lastFactorVerification", "amr", "idp",
                    "_links"):
            self.assertIn(key, body)
        for key in ("createdAt", "expiresAt", "lastPasswordVerification"):
            self.assertRegex(body[key], ISO_RE)
        self.assertRegex(body["id"], r"^102[A-Za-z0-9_-]{22}$")
        for rel, allow in (("self", ["GET", "DELETE"]), ("refresh", ["POST"]),
                           ("user", ["GET"])):
            self.assertEqual(body["_links"][rel]["hints"]["allow"], allow)
            self.assertTrue(body["_links"][rel]["href"].startswith(self.fake.url))
        self.assertEqual(body["_links"]["self"]["href"],
                         "%s/api/v1/sessions/%s" % (self.fake.url, body["id"]))
        return body

    def assertError(self, reply, status, code):
        self.assertEqual(reply.status, status, reply)
        self.assertCommonHeaders(reply)
        body = reply.json
        self.assertEqual(errors_of(self.error_schema, body), [])
        self.assertEqual(set(body), {"errorCode", "errorSummary", "errorLink", "errorId",
                                     "errorCauses"})
        self.assertEqual(body["errorCode"], code)
        self.assertEqual(body["errorLink"], code)
        self.assertIsInstance(body["errorCauses"], list)
        self.assertTrue(body["errorSummary"])
        self.assertTrue(body["errorId"])
        return body

    def new_session(self):
        reply = self.client.authn(self.login, "correct-horse")
        self.assertEqual(reply.status, 200, reply)
        return self.assertSession(self.client.create(reply.json["sessionToken"]))

    # -- Session bodies --

    def test_create_get_refresh_bodies(self):
        created = self.new_session()
        self.assertEqual(created["login"], self.login)
        self.assertEqual(created["status"], "ACTIVE")
        self.assertEqual(created["amr"], ["pwd"])
        self.assertIsNone(created["lastFactorVerification"])
        got = self.assertSession(self.client.get(created["id"]))
        self.assertEqual(got["id"], created["id"])
        refreshed = self.assertSession(self.client.refresh(created["id"]))
        self.assertGreater(refreshed["expiresAt"], created["expiresAt"])
        deleted = self.client.delete(created["id"])
        self.assertEqual(deleted.status, 204)
        self.assertCommonHeaders(deleted)

    def test_session_with_mfa_is_valid(self):
        token = self.fake.mint_session_token(self.login, amr=["pwd", "swk", "mfa"])
        body = self.assertSession(self.client.create(token))
        self.assertRegex(body["lastFactorVerification"], ISO_RE)
        for status in ("MFA_REQUIRED", "MFA_ENROLL"):
            self.fake.set_session_status(body["id"], status)
            self.assertEqual(self.assertSession(self.client.get(body["id"]))["status"], status)

    # -- Error bodies --

    def test_error_401_bodies(self):
        self.assertError(self.client.get("102nope", auth=""), 401, "E0000011")
        self.assertError(self.client.get("102nope", auth="SSWS wrong"), 401, "E0000011")
        self.assertError(self.client.authn(self.login, "battery-staple"), 401, "E0000004")
        self.assertError(self.client.create("20111bogus"), 401, "E0000004")

    def test_error_403_body(self):
        self.assertError(self.client.get("102nope", auth="Basic Zm9vOmJhcg=="), 403, "E0000005")
        self.fake.inject("GET", r"/api/v1/sessions/.*", status=403)
        self.assertError(self.client.get("102nope"), 403, "E0000006")

    def test_error_404_body(self):
        body = self.assertError(self.client.get("102unknownSessionIdXXXXXX"), 404, "E0000007")
        self.assertEqual(body["errorSummary"],
                         "Not found: Resource not found: 102unknownSessionIdXXXXXX (Session)")
        self.assertError(self.client.refresh("102unknown"), 404, "E0000007")
        self.assertError(self.client.delete("102unknown"), 404, "E0000007")

    def test_error_400_bodies(self):
        self.assertError(self.client.request("POST", "/api/v1/sessions", {}), 400, "E0000001")
        self.assertError(self.client.request("POST", "/api/v1/sessions", "{not json"),
                         400, "E0000003")

    def test_error_405_body(self):
        self.assertError(self.client.request("PUT", "/api/v1/sessions/102x"), 405, "E0000022")

    def test_error_429_bodies(self):
        self.fake.set_rate_limit("sessions", 1)
        try:
            self.client.get("102a")
            reply = self.client.get("102a")
            self.assertError(reply, 429, "E0000047")
            self.assertEqual(reply.header("X-Rate-Limit-Remaining"), "0")
        finally:
            self.fake.set_rate_limit("sessions", 600)
        self.fake.reset_rate_limits()
        self.fake.inject_rate_limit("POST", "/api/v1/authn", reset_in=2)
        reply = self.client.authn(self.login, "correct-horse")
        self.assertError(reply, 429, "E0000047")
        self.assertEqual(len(reply.headers("X-Rate-Limit-Reset")), 2)

    def test_injected_status_bodies(self):
        for status, code in ((500, "E0000009"), (503, "E0000010"), (401, "E0000011"),
                             (404, "E0000007"), (429, "E0000047")):
            self.fake.inject("GET", status=status)
            self.assertError(self.client.get("102x"), status, code)

    # -- Authentication API bodies --

    def assertShape(self, example, actual, exact=True):
        self.assertEqual(shape_diff(example, actual, exact), [])

    def test_authn_success(self):
        reply = self.client.authn(self.login, "correct-horse")
        self.assertEqual(reply.status, 200)
        self.assertCommonHeaders(reply)
        self.assertShape(EXAMPLE_SUCCESS_PRIMARY, reply.json)
        self.assertShape(EXAMPLE_SUCCESS_ABRIDGED, reply.json, exact=False)
        self.assertRegex(reply.json["expiresAt"], ISO_RE)
        self.assertRegex(reply.json["sessionToken"], r"^[A-Za-z0-9_-]{42}$")
        self.assertEqual(reply.json["_embedded"]["user"]["profile"]["login"], self.login)

    def test_authn_mfa_required(self):
        self.fake.update_user(self.login, mfa_required=True)
        reply = self.client.authn(self.login, "correct-horse")
        self.assertEqual(reply.status, 200)
        self.assertCommonHeaders(reply)
        body = reply.json
        # The §8.8 example is abridged: it leaves out vendorName, which D-authn's
        # Factor object table lists as not nullable ("same as provider") and its
        # step-up MFA_REQUIRED example shows. Everything else must match exactly.
        body = copy.deepcopy(body)
        for f in body["_embedded"]["factors"]:
            self.assertEqual(f.pop("vendorName"), f["provider"])
        self.assertShape(EXAMPLE_MFA_REQUIRED, body)
        self.assertEqual(body["status"], "MFA_REQUIRED")
        self.assertEqual([f["factorType"] for f in body["_embedded"]["factors"]],
                         ["push", "token:software:totp"])
        self.assertTrue(body["_embedded"]["factors"][0]["id"].startswith("opf"))
        for f in body["_embedded"]["factors"]:
            self.assertEqual(f["_links"]["verify"]["href"],
                             "%s/api/v1/authn/factors/%s/verify" % (self.fake.url, f["id"]))
        self.assertEqual(body["_links"]["cancel"]["href"], self.fake.url + "/api/v1/authn/cancel")
        self.assertIsNotNone(self.fake.transaction(body["stateToken"]))

    def test_authn_locked_out(self):
        self.fake.update_user(self.login, locked_out=True)
        reply = self.client.authn(self.login, "correct-horse")
        self.assertEqual(reply.status, 200)
        self.assertCommonHeaders(reply)
        self.assertShape(EXAMPLE_LOCKED_OUT, reply.json)
        self.assertEqual(reply.json["_links"]["next"]["href"],
                         self.fake.url + "/api/v1/authn/recovery/unlock")

    def test_authn_password_expired(self):
        self.fake.update_user(self.login, password_expired=True)
        reply = self.client.authn(self.login, "correct-horse")
        self.assertEqual(reply.status, 200)
        self.assertShape(EXAMPLE_PASSWORD_EXPIRED, reply.json)

    def test_authn_cancel(self):
        self.fake.update_user(self.login, mfa_required=True)
        state = self.client.authn(self.login, "correct-horse").json["stateToken"]
        reply = self.client.request("POST", "/api/v1/authn/cancel", {"stateToken": state})
        self.assertEqual(reply.status, 200)
        self.assertCommonHeaders(reply)
        self.assertIsInstance(reply.json, dict)
        self.assertError(self.client.request("POST", "/api/v1/authn/cancel",
                                             {"stateToken": state}), 401, "E0000011")


if __name__ == "__main__":
    unittest.main()
