"""The fake's Authentication API beyond the primary step: factors, verify
(TOTP, push with polling and number challenge, SMS, voice, question,
WebAuthn, passcode tokens), resend, state tokens, cancel, skip, previous and
the other transaction states, checked with real HTTPS requests and against
the shapes of Okta's documented examples (REFERENCE.md §8.3-8.9, D-authn)."""

import base64
import copy
import email.utils
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import fake_okta  # noqa: E402
from fake_okta import FACTOR_KINDS, FakeOkta, totp  # noqa: E402
from okta_client import Client  # noqa: E402
from test_fake_schema import (EXAMPLE_MFA_REQUIRED, EXAMPLE_PASSWORD_EXPIRED,  # noqa: E402
                              EXAMPLE_SUCCESS_ABRIDGED, EXAMPLE_SUCCESS_PRIMARY, EXCERPT,
                              ISO_RE, errors_of, load_schemas, shape_diff, validator_for)

PASSWORD = "correct-horse"
ALL = ("push", "totp", "google_totp", "sms", "call", "question", "webauthn")

# --------------------------------------------------------------------------
# Documented examples (D-authn; keys and JSON types are what is compared).
# --------------------------------------------------------------------------

_USER = {"id": "00ub0oNGTSWTBKOLGLNR", "passwordChanged": "2015-09-08T20:14:45.000Z",
         "profile": {"login": "dade.murphy@example.com", "firstName": "Dade",
                     "lastName": "Murphy", "locale": "en_US",
                     "timeZone": "America/Los_Angeles"}}
_POST = {"allow": ["POST"]}
_CANCEL = {"href": "https://{yourOktaDomain}/api/v1/authn/cancel", "hints": _POST}
_PREV = {"href": "https://{yourOktaDomain}/api/v1/authn/previous", "hints": _POST}
_COMPLEXITY = {"minLength": 8, "minLowerCase": 1, "minUpperCase": 1, "minNumber": 1,
               "minSymbol": 0}


def _verify_link(fid, name):
    return {"name": name, "hints": _POST,
            "href": "https://{yourOktaDomain}/api/v1/authn/factors/%s/verify" % fid}


def _resend(fid, name):
    return [{"name": name, "hints": _POST,
             "href": "https://{yourOktaDomain}/api/v1/authn/factors/%s/verify/resend" % fid}]


# "Verify Push Factor", response example (waiting). D-authn prints the factor
# under "factors" (an object) here; REFERENCE §8.5 and the other challenge
# examples (SMS, call, U2F, WebAuthn, get transaction state) use "factor".
EXAMPLE_PUSH_WAITING = {
    "stateToken": "007ucIX7PATyn94hsHfOLVaXAmOBkKHWnOOLG43bsb",
    "expiresAt": "2015-11-03T10:15:57.000Z",
    "status": "MFA_CHALLENGE",
    "factorResult": "WAITING",
    "_embedded": {"user": _USER, "factor": {
        "id": "opfh52xcuft3J4uZc0g3", "factorType": "push", "provider": "OKTA",
        "profile": {"deviceType": "SmartPhone_IPhone", "name": "Gibson", "platform": "IOS",
                    "version": "9.0"}}},
    "_links": {"next": _verify_link("opfh52xcuft3J4uZc0g3", "poll"), "cancel": _CANCEL,
               "prev": _PREV, "resend": _resend("opfh52xcuft3J4uZc0g3", "push")},
}

# "... (waiting for 3-number verification challenge response)".
EXAMPLE_PUSH_NUMBER = copy.deepcopy(EXAMPLE_PUSH_WAITING)
EXAMPLE_PUSH_NUMBER["_embedded"]["factor"]["_embedded"] = {"challenge": {"correctAnswer": 92}}

# "... (rejected)" and "... (timeout)": same keys, next is "verify".
EXAMPLE_PUSH_REJECTED = copy.deepcopy(EXAMPLE_PUSH_WAITING)
EXAMPLE_PUSH_REJECTED["factorResult"] = "REJECTED"
EXAMPLE_PUSH_REJECTED["_links"]["next"] = _verify_link("opfh52xcuft3J4uZc0g3", "verify")

# "Send SMS challenge (OTP)" response example.
EXAMPLE_SMS_CHALLENGE = {
    "stateToken": "007ucIX7PATyn94hsHfOLVaXAmOBkKHWnOOLG43bsb",
    "expiresAt": "2015-11-03T10:15:57.000Z",
    "status": "MFA_CHALLENGE",
    "_embedded": {"user": _USER, "factor": {
        "id": "sms193zUBEROPBNZKPPE", "factorType": "sms", "provider": "OKTA",
        "profile": {"phoneNumber": "+1 XXX-XXX-1337"}}},
    "_links": {"next": _verify_link("sms193zUBEROPBNZKPPE", "verify"), "cancel": _CANCEL,
               "prev": _PREV, "resend": _resend("sms193zUBEROPBNZKPPE", "sms")},
}

# "Primary authentication with password expiration warning" response example.
EXAMPLE_PASSWORD_WARN = {
    "stateToken": "007ucIX7PATyn94hsHfOLVaXAmOBkKHWnOOLG43bsb",
    "expiresAt": "2015-11-03T10:15:57.000Z",
    "status": "PASSWORD_WARN",
    "_embedded": {"user": _USER, "policy": {"expiration": {"passwordExpireDays": 5},
                                            "complexity": _COMPLEXITY}},
    "_links": {
        "next": {"name": "changePassword", "hints": _POST,
                 "href": "https://{yourOktaDomain}/api/v1/authn/credentials/change_password"},
        "skip": {"name": "skip", "href": "https://{yourOktaDomain}/api/v1/authn/skip",
                 "hints": _POST},
        "cancel": _CANCEL},
}

# "Response example for activation token (success - user with password and
# configured MFA)": MFA_ENROLL, every entry with vendorName.
EXAMPLE_MFA_ENROLL = {
    "stateToken": "00bMktAiPaI0Jo97bpiKxEw7drTgtukJKs33abrSpb",
    "expiresAt": "2017-03-29T21:49:09.000Z",
    "status": "MFA_ENROLL",
    "_embedded": {"user": _USER, "factors": [
        {"factorType": "token:software:totp", "provider": "OKTA", "vendorName": "OKTA",
         "_links": {"enroll": {"href": "https://{yourOktaDomain}/api/v1/authn/factors",
                               "hints": _POST}},
         "status": "NOT_SETUP", "enrollment": "OPTIONAL"}]},
    "_links": {"cancel": _CANCEL},
}

# "Response example for verify Call recovery Factor": RECOVERY.
EXAMPLE_RECOVERY = {
    "stateToken": "00xdqXOE5qDXX8-PBR1bYv8AESqIEinDy3yul01tyh",
    "expiresAt": "2015-11-03T10:15:57.000Z",
    "status": "RECOVERY",
    "recoveryType": "PASSWORD",
    "_embedded": {"user": dict(_USER, recovery_question={
        "question": "Who's a major player in the cowboy scene?"})},
    "_links": {"next": {"name": "answer", "hints": _POST,
                        "href": "https://{yourOktaDomain}/api/v1/authn/recovery/answer"},
               "cancel": _CANCEL},
}

# "Response example for activation token (success - user without password)":
# PASSWORD_RESET (without its recoveryType, which says ACCOUNT_ACTIVATION).
EXAMPLE_PASSWORD_RESET = {
    "stateToken": "005Oj4_rx1yAYP2MFNobMXlM2wJ3QEyzgifBd_T6Go",
    "expiresAt": "2017-03-29T21:35:47.000Z",
    "status": "PASSWORD_RESET",
    "_embedded": {"user": _USER, "policy": {"expiration": {"passwordExpireDays": 5},
                                            "complexity": _COMPLEXITY}},
    "_links": {"next": {"name": "resetPassword", "hints": _POST,
                        "href": "https://{yourOktaDomain}/api/v1/authn/credentials/"
                                "reset_password"},
               "cancel": _CANCEL},
}

# RFC 6238 appendix B (SHA1 seed "12345678901234567890"), last 6 digits.
RFC6238_SEED = base64.b32encode(b"12345678901234567890").decode()
RFC6238_VECTORS = [(59, "287082"), (1111111109, "081804"), (1111111111, "050471"),
                   (1234567890, "005924"), (2000000000, "279037"), (20000000000, "353130")]


class MfaCase(unittest.TestCase):
    """One fake per class; a fresh MFA user, default knobs and clean faults per test."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="fake-okta-mfa-")
        cls.fake = FakeOkta(os.path.join(cls.tmp, "okta")).start()
        _, root = load_schemas(EXCERPT)
        cls.error_schema = validator_for(root, "Error")
        cls.session_schema = validator_for(root, "Session")

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        fake = self.fake
        fake.clear_faults()
        fake.reset_rate_limits()
        fake.clock_offset = 0.0
        fake.factor_lockout = 5
        fake.factors_key = "factors"
        fake.challenge_factor_key = "factor"
        fake.totp_window = 1
        fake.otp_resend_interval = 30
        fake.otp_lifetime = 300
        fake.push_expiry = None
        self.login = "mfa%d@example.com" % time.monotonic_ns()
        self.user_id = fake.add_user(self.login, PASSWORD, mfa_required=True, factors=ALL)
        self.client = Client(fake)
        self.state = None
        fake.clear_requests()

    def tearDown(self):
        self.client.close()

    # -- helpers --

    def mid_step(self):
        """Put the Okta-side clock in the middle of a 30 s TOTP step (15 s margin)."""
        self.fake.clock_offset += 15 - ((time.time() + self.fake.clock_offset) % 30)

    def authn(self, login=None, password=PASSWORD, **body):
        body.update(username=login or self.login, password=password)
        return self.client.request("POST", "/api/v1/authn", body)

    def start(self, status="MFA_REQUIRED", **body):
        reply = self.authn(**body)
        self.assertEqual((reply.status, reply.json.get("status")), (200, status), reply)
        self.state = reply.json.get("stateToken")
        return reply.json

    def path(self, href):
        self.assertTrue(href.startswith(self.fake.url + "/"), href)
        return href[len(self.fake.url):]

    def fid(self, kind, login=None):
        return self.fake.factor_id(login or self.login, kind)

    def verify(self, kind, query="", state=None, **extra):
        body = {"stateToken": self.state if state is None else state}
        body.update(extra)
        return self.client.request(
            "POST", "/api/v1/authn/factors/%s/verify%s" % (self.fid(kind), query), body)

    def resend(self, kind, state=None):
        return self.client.request(
            "POST", "/api/v1/authn/factors/%s/verify/resend" % self.fid(kind),
            {"stateToken": self.state if state is None else state})

    def post(self, path, **body):
        return self.client.request("POST", path, body)

    def get_state(self, state=None):
        return self.post("/api/v1/authn", stateToken=self.state if state is None else state)

    def assertError(self, reply, status, code):
        self.assertEqual((reply.status, (reply.json or {}).get("errorCode")), (status, code),
                         reply)
        self.assertEqual(errors_of(self.error_schema, reply.json), [])
        self.assertEqual(reply.json["errorLink"], code)
        return reply.json

    def assertSuccess(self, reply, amr):
        self.assertEqual((reply.status, reply.json.get("status")), (200, "SUCCESS"), reply)
        self.assertEqual(shape_diff(EXAMPLE_SUCCESS_PRIMARY, reply.json), [])
        self.assertEqual(shape_diff(EXAMPLE_SUCCESS_ABRIDGED, reply.json, exact=False), [])
        token = reply.json["sessionToken"]
        self.assertRegex(token, r"^[A-Za-z0-9_-]{42}$")
        self.assertEqual(self.fake.session_token(token)["amr"], amr)
        if self.state:
            self.assertIsNone(self.fake.transaction(self.state))
        return token

    def assertShape(self, example, body, exact=True):
        self.assertEqual(shape_diff(example, body, exact), [])

    def assertChallenge(self, body, example, factor_kind):
        """Same keys as EXAMPLE at the top, in _embedded and _links; the factor
        at least the example's keys (ours adds vendorName and credentialId)."""
        self.assertShape(example, body, exact=False)
        self.assertEqual(set(body), set(example))
        self.assertEqual(set(body["_embedded"]), set(example["_embedded"]))
        self.assertEqual(set(body["_links"]), set(example["_links"]))
        factor = body["_embedded"]["factor"]
        self.assertEqual(factor["id"], self.fid(factor_kind))
        self.assertEqual(factor["vendorName"], factor["provider"])
        self.assertNotIn("_links", factor)
        verify = "%s/api/v1/authn/factors/%s/verify" % (self.fake.url, factor["id"])
        self.assertEqual(body["_links"]["next"]["href"], verify)
        self.assertEqual([r["href"] for r in body["_links"]["resend"]], [verify + "/resend"])
        self.assertEqual(body["_links"]["cancel"]["href"], self.fake.url + "/api/v1/authn/cancel")
        self.assertEqual(body["_links"]["prev"]["href"], self.fake.url + "/api/v1/authn/previous")
        self.assertEqual(body["stateToken"], self.state)
        self.assertRegex(body["expiresAt"], ISO_RE)


class Factors(MfaCase):

    def test_factor_list(self):
        body = self.start()
        self.assertEqual(set(body), {"stateToken", "expiresAt", "status", "_embedded", "_links"})
        factors = body["_embedded"]["factors"]
        self.assertNotIn("factor", body["_embedded"])
        expected = [("opf", "push", "OKTA"), ("ost", "token:software:totp", "OKTA"),
                    ("uft", "token:software:totp", "GOOGLE"), ("mbl", "sms", "OKTA"),
                    ("clf", "call", "OKTA"), ("ufs", "question", "OKTA"),
                    ("fwf", "webauthn", "FIDO")]
        self.assertEqual(len(factors), len(expected))
        for f, (prefix, ftype, provider), kind in zip(factors, expected, ALL):
            self.assertRegex(f["id"], "^%s[A-Za-z0-9]{17}$" % prefix)
            self.assertEqual((f["factorType"], f["provider"], f["vendorName"]),
                             (ftype, provider, provider))
            self.assertEqual(f["id"], self.fid(kind))
            self.assertEqual(f["_links"], {"verify": {
                "href": "%s/api/v1/authn/factors/%s/verify" % (self.fake.url, f["id"]),
                "hints": {"allow": ["POST"]}}})
            self.assertIsInstance(f["profile"], dict)
        push, sms, call = factors[0], factors[3], factors[4]
        self.assertEqual(push["profile"]["platform"], "IOS")
        self.assertTrue(push["profile"]["name"])
        for phone in (sms, call):
            self.assertRegex(phone["profile"]["phoneNumber"], r"^\+1 XXX-XXX-\d{4}$")
        self.assertEqual(body["_embedded"]["policy"],
                         {"allowRememberDevice": False, "rememberDeviceLifetimeInMinutes": 0,
                          "rememberDeviceByDefault": False})
        self.assertEqual(set(body["_links"]), {"cancel"})
        # Shape of the §8.8 example, for the kinds it has.
        two = copy.deepcopy(body)
        two["_embedded"]["factors"] = [dict(f) for f in factors[:2]]
        for f in two["_embedded"]["factors"]:
            del f["vendorName"]
        self.assertShape(EXAMPLE_MFA_REQUIRED, two)

    def test_factors_key_switches(self):
        self.fake.add_user(self.login, PASSWORD, mfa_required=True, factors=("totp",),
                           factors_key="factor")
        body = self.start()
        self.assertNotIn("factors", body["_embedded"])
        self.assertEqual([f["factorType"] for f in body["_embedded"]["factor"]],
                         ["token:software:totp"])
        self.fake.add_user(self.login, PASSWORD, mfa_required=True, factors=("push",))
        self.fake.factors_key = "factor"
        self.assertIsInstance(self.start()["_embedded"]["factor"], list)
        self.fake.update_user(self.login, factors_key="factors")
        self.assertIn("factors", self.start()["_embedded"])

    def test_phone_mask_and_custom_factor(self):
        custom = {"factorType": "token:software:totp", "provider": "GOOGLE",
                  "vendorName": "GOOGLE", "profile": {"credentialId": "x"}}
        self.fake.add_user(self.login, PASSWORD, mfa_required=True,
                           factors=("sms", custom, "email"), phone_number="+1 (555) 010-4242")
        factors = self.start()["_embedded"]["factors"]
        self.assertEqual(factors[0]["profile"]["phoneNumber"], "+1 XXX-XXX-4242")
        self.assertTrue(factors[1]["id"].startswith("fac"))
        self.assertEqual(self.fake.user(self.login)["factor_kinds"][factors[1]["id"]],
                         "google_totp")
        self.assertRegex(factors[2]["profile"]["email"], r"^m\.\.\.\d@example\.com$")
        with self.assertRaises(ValueError):
            self.fake.add_user("x@example.com", PASSWORD, factors=("carrier-pigeon",))
        self.assertEqual(set(FACTOR_KINDS) >= {"push", "totp", "google_totp", "sms", "call",
                                               "question", "webauthn"}, True)

    def test_mfa_required_without_factors(self):
        self.fake.add_user(self.login, PASSWORD, mfa_required=True, factors=())
        self.assertEqual(self.start()["_embedded"]["factors"], [])


class Totp(MfaCase):

    def test_rfc6238_vectors_and_seed(self):
        for t, code in RFC6238_VECTORS:
            self.assertEqual(totp(RFC6238_SEED, t), code, t)
        self.assertEqual(totp(RFC6238_SEED.lower().rstrip("="), 59), "287082")
        seed = self.fake.user(self.login)["totp_seed"]
        self.assertRegex(seed, r"^[A-Z2-7]{32}$")
        self.mid_step()
        self.assertEqual(self.fake.totp_code(self.login),
                         totp(seed, time.time() + self.fake.clock_offset))
        self.assertEqual(self.fake.totp_code(self.login, offset=-1),
                         totp(seed, time.time() + self.fake.clock_offset - 30))
        self.fake.add_user(self.login, PASSWORD, totp_seed=RFC6238_SEED)
        self.fake.clock_offset = 59 - time.time()
        self.assertEqual(self.fake.totp_code(self.login), "287082")

    def test_right_code(self):
        self.mid_step()
        self.start()
        reply = self.verify("totp", passCode=self.fake.totp_code(self.login))
        token = self.assertSuccess(reply, ["pwd", "otp", "mfa"])
        session = self.client.create(token)
        self.assertEqual(session.status, 200)
        self.assertEqual(errors_of(self.session_schema, session.json), [])
        self.assertEqual(session.json["amr"], ["pwd", "otp", "mfa"])
        self.assertRegex(session.json["lastFactorVerification"], ISO_RE)
        # The state token is gone with the transaction.
        self.assertError(self.get_state(), 401, "E0000011")
        self.assertError(self.verify("totp", passCode="123456"), 401, "E0000011")

    def test_google_authenticator_and_clock_offset(self):
        self.fake.advance(86400 * 3)
        self.mid_step()
        self.start()
        code = self.fake.totp_code(self.login, kind="google_totp")
        self.assertSuccess(self.verify("google_totp", passCode=code), ["pwd", "otp", "mfa"])

    def test_window(self):
        self.mid_step()
        for offset, ok in ((-2, False), (2, False), (-1, True), (1, True)):
            self.start()
            reply = self.verify("totp", passCode=self.fake.totp_code(self.login, offset))
            self.assertEqual(reply.status, 200 if ok else 403, (offset, reply))
        self.fake.totp_window = 0
        self.start()
        self.assertError(self.verify("totp", passCode=self.fake.totp_code(self.login, -1)),
                         403, "E0000068")

    def test_wrong_code_keeps_state_and_counts(self):
        self.mid_step()
        self.start()
        wrong = "%06d" % ((int(self.fake.totp_code(self.login)) + 1) % 1000000)
        body = self.assertError(self.verify("totp", passCode=wrong), 403, "E0000068")
        self.assertEqual(body["errorSummary"], "Invalid Passcode/Answer")
        self.assertEqual(len(body["errorCauses"]), 1)
        self.assertEqual(self.fake.user(self.login)["factor_failures"], 1)
        self.assertEqual(self.fake.transaction(self.state)["status"], "MFA_REQUIRED")
        self.assertEqual(self.get_state().json["status"], "MFA_REQUIRED")
        self.assertSuccess(self.verify("totp", passCode=self.fake.totp_code(self.login)),
                           ["pwd", "otp", "mfa"])
        self.assertEqual(self.fake.user(self.login)["factor_failures"], 0)

    def test_lockout_default_five(self):
        self.mid_step()
        self.start()
        for _ in range(4):
            self.assertError(self.verify("totp", passCode="000000x"), 403, "E0000068")
        self.assertFalse(self.fake.user(self.login)["locked_out"])
        self.assertError(self.verify("totp", passCode="000000x"), 403, "E0000069")
        self.assertTrue(self.fake.user(self.login)["locked_out"])
        # Even the right code no longer helps, and the password now says LOCKED_OUT.
        self.assertError(self.verify("totp", passCode=self.fake.totp_code(self.login)),
                         403, "E0000069")
        self.assertEqual(self.authn().json["status"], "LOCKED_OUT")

    def test_lockout_per_user_and_attribute(self):
        self.fake.update_user(self.login, factor_lockout=2)
        self.start()
        self.assertError(self.verify("totp", passCode="1"), 403, "E0000068")
        self.assertError(self.verify("totp", passCode="2"), 403, "E0000069")
        self.fake.add_user(self.login, PASSWORD, mfa_required=True, show_lockout=False)
        self.fake.factor_lockout = 1
        self.start()
        self.assertError(self.verify("totp", passCode="1"), 403, "E0000069")
        self.assertError(self.authn(), 401, "E0000004")

    def test_replayed_code(self):
        self.mid_step()
        code = self.fake.totp_code(self.login)
        self.start()
        self.assertSuccess(self.verify("totp", passCode=code), ["pwd", "otp", "mfa"])
        self.start()
        body = self.assertError(self.verify("totp", passCode=code), 403, "E0000082")
        self.assertTrue(body["errorSummary"].startswith("Each code can only be used once"))
        self.assertEqual(self.fake.user(self.login)["factor_failures"], 0)
        self.assertEqual(self.get_state().json["status"], "MFA_REQUIRED")
        self.fake.advance(30)
        self.assertSuccess(self.verify("totp", passCode=self.fake.totp_code(self.login)),
                           ["pwd", "otp", "mfa"])

    def test_missing_or_bad_passcode(self):
        self.start()
        for extra in ({}, {"passCode": ""}, {"passCode": 123456}, {"passCode": None}):
            body = self.assertError(self.verify("totp", **extra), 400, "E0000001")
            self.assertEqual(body["errorSummary"], "Api validation failed: passCode")
        self.assertEqual(self.fake.user(self.login)["factor_failures"], 0)


class Push(MfaCase):

    def send(self, query=""):
        reply = self.verify("push", query=query)
        self.assertEqual(reply.status, 200, reply)
        return reply.json

    def poll(self, body):
        """POST the published next link with the state token, as a client does."""
        reply = self.post(self.path(body["_links"]["next"]["href"]), stateToken=self.state)
        self.assertEqual(reply.status, 200, reply)
        return reply.json

    def test_waiting_then_approve(self):
        self.start()
        body = self.send()
        self.assertChallenge(body, EXAMPLE_PUSH_WAITING, "push")
        self.assertEqual((body["factorResult"], body["_links"]["next"]["name"]),
                         ("WAITING", "poll"))
        self.assertEqual(body["_links"]["resend"][0]["name"], "push")
        self.assertNotIn("_embedded", body["_embedded"]["factor"])
        for n in range(1, 4):
            body = self.poll(body)
            self.assertChallenge(body, EXAMPLE_PUSH_WAITING, "push")
            self.assertEqual(self.fake.push_polls(self.login), n)
        self.assertTrue(self.fake.push_approve(self.login))
        reply = self.post(self.path(body["_links"]["next"]["href"]), stateToken=self.state)
        self.assertSuccess(reply, ["pwd", "swk", "mfa"])
        state = self.fake.push_state(self.login)
        self.assertEqual((state["result"], state["polls"], state["sends"]), ("SUCCESS", 4, 1))

    def test_reject_then_verify_again(self):
        self.start()
        body = self.send()
        self.fake.push_reject(self.login)
        body = self.poll(body)
        self.assertChallenge(body, EXAMPLE_PUSH_REJECTED, "push")
        self.assertEqual((body["status"], body["factorResult"], body["_links"]["next"]["name"]),
                         ("MFA_CHALLENGE", "REJECTED", "verify"))
        self.assertIsInstance(body["_links"]["resend"], list)
        self.assertEqual(self.fake.transaction(self.state)["factor_result"], "REJECTED")
        # Following next (verify) sends a new push.
        body = self.poll(body)
        self.assertEqual(body["factorResult"], "WAITING")
        self.assertEqual(self.fake.push_state(self.login)["sends"], 2)
        self.assertEqual(self.fake.push_polls(self.login), 0)

    def test_timeout(self):
        self.start()
        body = self.send()
        self.assertTrue(self.fake.push_timeout(self.login))
        body = self.poll(body)
        self.assertChallenge(body, EXAMPLE_PUSH_REJECTED, "push")
        self.assertEqual(body["factorResult"], "TIMEOUT")
        self.assertEqual(body["_links"]["next"]["name"], "verify")

    def test_natural_timeout(self):
        self.fake.push_expiry = 60
        self.start()
        body = self.poll(self.send())
        self.assertEqual(body["factorResult"], "WAITING")
        self.fake.advance(61)
        self.assertEqual(self.poll(body)["factorResult"], "TIMEOUT")

    def test_auto_approve_after_polls(self):
        self.fake.push_auto(self.login, "approve", after_polls=2)
        self.start()
        body = self.send()
        self.assertEqual(self.poll(body)["factorResult"], "WAITING")
        reply = self.post(self.path(body["_links"]["next"]["href"]), stateToken=self.state)
        self.assertSuccess(reply, ["pwd", "swk", "mfa"])
        self.assertEqual(self.fake.push_polls(self.login), 2)
        # Persistent: the next login is approved too; after_polls=0 acts as 1.
        self.fake.push_auto(self.login, "reject", after_polls=0)
        self.start()
        self.assertEqual(self.poll(self.send())["factorResult"], "REJECTED")
        self.fake.push_auto(self.login, None)
        self.start()
        body = self.send()
        for _ in range(3):
            body = self.poll(body)
        self.assertEqual(body["factorResult"], "WAITING")
        with self.assertRaises(ValueError):
            self.fake.push_auto(self.login, "maybe")

    def test_auto_set_while_waiting_and_timeout_outcome(self):
        self.start()
        body = self.poll(self.poll(self.send()))
        self.fake.push_auto(self.login, "timeout", after_polls=3)
        self.assertEqual(self.poll(body)["factorResult"], "TIMEOUT")

    def test_decision_before_the_push_is_one_shot(self):
        self.assertFalse(self.fake.push_approve(self.login))
        self.start()
        body = self.send()
        self.assertEqual(body["factorResult"], "WAITING")    # the first answer always waits
        reply = self.post(self.path(body["_links"]["next"]["href"]), stateToken=self.state)
        self.assertSuccess(reply, ["pwd", "swk", "mfa"])
        self.start()
        self.assertEqual(self.poll(self.send())["factorResult"], "WAITING")

    def test_number_challenge(self):
        self.fake.push_number_challenge(self.login, 92)
        self.start()
        body = self.send()
        self.assertChallenge(body, EXAMPLE_PUSH_NUMBER, "push")
        answer = body["_embedded"]["factor"]["_embedded"]["challenge"]["correctAnswer"]
        self.assertEqual(answer, 92)
        self.assertIs(type(answer), int)
        self.assertEqual(self.poll(body)["_embedded"]["factor"]["_embedded"],
                         {"challenge": {"correctAnswer": 92}})
        # Only from poll 2 on; set while a push waits.
        self.fake.push_number_challenge(self.login, None)
        self.start()
        body = self.send()
        self.assertNotIn("_embedded", body["_embedded"]["factor"])
        self.fake.push_number_challenge(self.login, 7, from_poll=2)
        body = self.poll(body)
        self.assertNotIn("_embedded", body["_embedded"]["factor"])
        body = self.poll(body)
        self.assertEqual(body["_embedded"]["factor"]["_embedded"]["challenge"]["correctAnswer"], 7)
        self.assertEqual(self.fake.push_state(self.login)["correct_answer"], (7, 2))

    def test_query_flags_and_get_state(self):
        self.start()
        body = self.send(query="?autoPush=true&rememberDevice=false")
        t = self.fake.transaction(self.state)
        self.assertEqual((t["auto_push"], t["remember_device"]), (True, False))
        self.assertEqual(self.fake.push_state(self.login)["auto_push"], True)
        self.assertEqual(self.fake.requests[-1].query, {"autoPush": ["true"],
                                                        "rememberDevice": ["false"]})
        # Transaction state does not count as a poll.
        got = self.get_state()
        self.assertEqual((got.json["status"], got.json["factorResult"]),
                         ("MFA_CHALLENGE", "WAITING"))
        self.assertChallenge(got.json, EXAMPLE_PUSH_WAITING, "push")
        self.assertEqual(self.fake.push_polls(self.login), 0)
        self.poll(body)
        self.assertEqual(self.fake.push_polls(self.login), 1)

    def test_resend_previous_and_switch(self):
        self.start()
        body = self.send()
        self.poll(body)
        reply = self.resend("push")
        self.assertEqual((reply.status, reply.json["factorResult"]), (200, "WAITING"))
        self.assertEqual(self.fake.push_state(self.login)["sends"], 2)
        self.assertEqual(self.fake.push_polls(self.login), 0)
        reply = self.post("/api/v1/authn/previous", stateToken=self.state)
        self.assertEqual((reply.status, reply.json["status"]), (200, "MFA_REQUIRED"))
        self.assertEqual(self.fake.push_state(self.login)["result"], "CANCELLED")
        self.assertError(self.resend("push"), 403, "E0000079")
        self.assertError(self.post("/api/v1/authn/previous", stateToken=self.state),
                         403, "E0000079")
        # From a waiting push straight to another factor.
        self.mid_step()
        self.send()
        self.assertSuccess(self.verify("totp", passCode=self.fake.totp_code(self.login)),
                           ["pwd", "otp", "mfa"])
        self.assertEqual(self.fake.push_state(self.login)["result"], "CANCELLED")

    def test_challenge_key_switch(self):
        self.fake.challenge_factor_key = "factors"
        self.start()
        body = self.send()
        self.assertEqual(body["_embedded"]["factors"]["factorType"], "push")
        self.assertNotIn("factor", body["_embedded"])


class Phone(MfaCase):

    def test_sms(self):
        self.start()
        self.assertIsNone(self.fake.last_sms_code(self.login))
        reply = self.verify("sms")
        self.assertEqual(reply.status, 200, reply)
        self.assertChallenge(reply.json, EXAMPLE_SMS_CHALLENGE, "sms")
        self.assertEqual(reply.json["_links"]["next"]["name"], "verify")
        self.assertEqual(reply.json["_links"]["resend"][0]["name"], "sms")
        code = self.fake.last_sms_code(self.login)
        self.assertRegex(code, r"^\d{6}$")
        wrong = "%06d" % ((int(code) + 1) % 1000000)
        self.assertError(self.verify("sms", passCode=wrong), 403, "E0000068")
        self.assertEqual(self.get_state().json["status"], "MFA_CHALLENGE")
        self.assertSuccess(self.verify("sms", passCode=code), ["pwd", "sms", "mfa"])
        self.assertEqual([(s["kind"], s["resend"]) for s in self.fake.otp_sends(self.login)],
                         [("sms", False)])

    def test_call(self):
        self.start()
        reply = self.verify("call")
        self.assertEqual((reply.status, reply.json["status"]), (200, "MFA_CHALLENGE"))
        self.assertEqual(reply.json["_embedded"]["factor"]["factorType"], "call")
        self.assertEqual(reply.json["_links"]["resend"][0]["name"], "call")
        code = self.fake.last_call_code(self.login)
        self.assertRegex(code, r"^\d{5}$")
        self.assertIsNone(self.fake.last_sms_code(self.login))
        reply = self.resend("call")
        self.assertError(reply, 429, "E0000133")
        self.assertSuccess(self.verify("call", passCode=code), ["pwd", "tel", "mfa"])

    def test_thirty_second_rule(self):
        self.start()
        self.assertEqual(self.verify("sms").status, 200)
        first = self.fake.last_sms_code(self.login)
        sent = self.fake.otp_sends(self.login)[-1]["time"]
        for reply in (self.verify("sms"), self.resend("sms")):
            body = self.assertError(reply, 429, "E0000109")
            self.assertIn("30 seconds", body["errorSummary"])
            self.assertEqual(reply.header("X-Rate-Limit-Remaining"), "0")
            self.assertEqual(reply.headers("X-Rate-Limit-Reset"), [str(sent + 30)])
            self.assertEqual(reply.header("X-Rate-Limit-Limit"), "1")
            self.assertIsNotNone(email.utils.parsedate_to_datetime(reply.header("Date")))
        # Also across transactions (the limit is per phone).
        self.start()
        self.assertError(self.verify("sms"), 429, "E0000109")
        self.fake.advance(31)
        self.assertEqual(self.verify("sms").status, 200)
        self.fake.advance(31)
        reply = self.resend("sms")
        self.assertEqual((reply.status, reply.json["status"]), (200, "MFA_CHALLENGE"))
        sends = self.fake.otp_sends(self.login, "sms")
        self.assertEqual([s["resend"] for s in sends], [False, False, True])
        latest = self.fake.last_sms_code(self.login)
        if latest != first:
            self.assertError(self.verify("sms", passCode=first), 403, "E0000068")
        self.assertSuccess(self.verify("sms", passCode=latest), ["pwd", "sms", "mfa"])

    def test_code_expires_and_is_one_time(self):
        self.fake.otp_lifetime = 60
        self.start()
        self.verify("sms")
        code = self.fake.last_sms_code(self.login)
        self.fake.advance(61)
        self.assertError(self.verify("sms", passCode=code), 403, "E0000068")
        self.verify("sms")
        code = self.fake.last_sms_code(self.login)
        self.assertSuccess(self.verify("sms", passCode=code), ["pwd", "sms", "mfa"])
        self.start()
        self.assertError(self.verify("sms", passCode=code), 403, "E0000068")

    def test_resend_rules(self):
        self.start()
        self.assertError(self.resend("sms"), 403, "E0000079")       # nothing sent yet
        self.verify("sms")
        self.assertError(self.resend("call"), 403, "E0000079")      # not the one challenged
        self.assertError(self.resend("totp"), 403, "E0000079")


class StateTokens(MfaCase):

    def test_unknown_and_foreign_factor_ids(self):
        self.start()
        reply = self.client.request("POST", "/api/v1/authn/factors/opfNOPE/verify",
                                    {"stateToken": self.state})
        body = self.assertError(reply, 404, "E0000007")
        self.assertEqual(body["errorSummary"],
                         "Not found: Resource not found: opfNOPE (UserFactor)")
        other = "other%d@example.com" % time.monotonic_ns()
        self.fake.add_user(other, PASSWORD, mfa_required=True)
        reply = self.client.request(
            "POST", "/api/v1/authn/factors/%s/verify" % self.fid("totp", other),
            {"stateToken": self.state, "passCode": self.fake.totp_code(other)})
        self.assertError(reply, 404, "E0000007")
        reply = self.client.request("POST", "/api/v1/authn/factors/opfNOPE/verify/resend",
                                    {"stateToken": self.state})
        self.assertError(reply, 404, "E0000007")

    def test_expired_state_token(self):
        self.start()
        self.fake.expire_state_token(self.state)
        self.assertIsNone(self.fake.transaction(self.state))
        for reply in (self.verify("push"), self.get_state(), self.resend("sms"),
                      self.post("/api/v1/authn/skip", stateToken=self.state),
                      self.post("/api/v1/authn/previous", stateToken=self.state),
                      self.post("/api/v1/authn/cancel", stateToken=self.state)):
            body = self.assertError(reply, 401, "E0000011")
            self.assertEqual(body["errorSummary"], "Invalid token provided")

    def test_missing_or_odd_state_token(self):
        self.start()
        for body in ({}, {"stateToken": None}, {"stateToken": 7}, {"stateToken": "007nope"},
                     {"stateToken": ""}):
            reply = self.client.request(
                "POST", "/api/v1/authn/factors/%s/verify" % self.fid("push"), body)
            self.assertError(reply, 401, "E0000011")
        reply = self.client.request(
            "POST", "/api/v1/authn/factors/%s/verify" % self.fid("push"), "{not json")
        self.assertError(reply, 400, "E0000003")

    def test_natural_and_sliding_expiry(self):
        body = self.start()
        first = body["expiresAt"]
        self.fake.advance(200)
        reply = self.verify("push")                       # any request slides it
        self.assertGreater(reply.json["expiresAt"], first)
        self.fake.advance(200)
        self.assertEqual(self.get_state().status, 200)
        self.fake.advance(299)
        self.assertEqual(self.get_state().status, 200)
        self.fake.advance(301)
        self.assertError(self.verify("push"), 401, "E0000011")
        self.assertIsNone(self.fake.transaction(self.state))

    def test_cancel(self):
        self.start()
        self.verify("push")
        reply = self.post("/api/v1/authn/cancel", stateToken=self.state)
        self.assertEqual((reply.status, reply.json), (200, {"status": "UNAUTHENTICATED"}))
        cancel = self.fake.cancels[-1]
        self.assertEqual((cancel["stateToken"], cancel["login"], cancel["status"],
                          cancel["factor_id"]),
                         (self.state, self.login, "MFA_CHALLENGE", self.fid("push")))
        self.assertEqual(self.fake.push_state(self.login)["result"], "CANCELLED")
        self.assertFalse(self.fake.push_approve(self.login))     # nothing waits any more
        self.assertError(self.verify("push"), 401, "E0000011")
        self.assertError(self.verify("totp", passCode=self.fake.totp_code(self.login)),
                         401, "E0000011")
        before = len(self.fake.cancels)
        self.assertError(self.post("/api/v1/authn/cancel", stateToken=self.state),
                         401, "E0000011")
        self.assertEqual(len(self.fake.cancels), before)
        self.assertEqual([t["stateToken"] for t in self.fake.transactions(self.login)], [])


class OtherStates(MfaCase):

    def setUp(self):
        super().setUp()
        self.fake.add_user(self.login, PASSWORD, factors=("totp",))

    def test_password_warn_only_when_asked(self):
        self.fake.update_user(self.login, password_warn=True)
        for options in (None, {}, {"warnBeforePasswordExpired": False},
                        {"warnBeforePasswordExpired": "true"}):
            body = {} if options is None else {"options": options}
            self.assertEqual(self.authn(**body).json["status"], "SUCCESS", options)
        body = self.start("PASSWORD_WARN", options={"warnBeforePasswordExpired": True})
        self.assertShape(EXAMPLE_PASSWORD_WARN, body)
        self.assertEqual(body["_links"]["skip"]["href"], self.fake.url + "/api/v1/authn/skip")
        self.assertError(self.verify("totp", passCode=self.fake.totp_code(self.login)),
                         403, "E0000079")
        reply = self.post(self.path(body["_links"]["skip"]["href"]), stateToken=self.state)
        self.assertSuccess(reply, ["pwd"])
        self.assertError(self.post("/api/v1/authn/skip", stateToken=self.state),
                         401, "E0000011")

    def test_skip_to_mfa(self):
        self.fake.update_user(self.login, password_warn=True, mfa_required=True)
        self.assertEqual(self.authn().json["status"], "MFA_REQUIRED")
        self.start("PASSWORD_WARN", options={"warnBeforePasswordExpired": True})
        reply = self.post("/api/v1/authn/skip", stateToken=self.state)
        self.assertEqual((reply.status, reply.json["status"], reply.json["stateToken"]),
                         (200, "MFA_REQUIRED", self.state))
        self.assertError(self.post("/api/v1/authn/skip", stateToken=self.state),
                         403, "E0000079")
        self.mid_step()
        self.assertSuccess(self.verify("totp", passCode=self.fake.totp_code(self.login)),
                           ["pwd", "otp", "mfa"])

    def test_mfa_then_password_expired(self):
        self.fake.update_user(self.login, password_expired=True, mfa_required=True,
                              password_warn=True)
        self.start(options={"warnBeforePasswordExpired": True})
        self.mid_step()
        reply = self.verify("totp", passCode=self.fake.totp_code(self.login))
        self.assertEqual((reply.status, reply.json["status"], reply.json["stateToken"]),
                         (200, "PASSWORD_EXPIRED", self.state))
        self.assertShape(EXAMPLE_PASSWORD_EXPIRED, reply.json)
        self.assertNotIn("sessionToken", reply.json)

    def test_mfa_enroll(self):
        self.fake.add_user(self.login, PASSWORD, mfa_enroll=True, factors=("totp", "sms"))
        body = self.start("MFA_ENROLL")
        self.assertShape(EXAMPLE_MFA_ENROLL, body)
        entries = body["_embedded"]["factors"]
        self.assertEqual([(e["factorType"], e["status"]) for e in entries],
                         [("token:software:totp", "NOT_SETUP"), ("sms", "NOT_SETUP")])
        self.assertEqual([e["enrollment"] for e in entries], ["REQUIRED", "OPTIONAL"])
        self.assertEqual(entries[0]["_links"]["enroll"]["href"],
                         self.fake.url + "/api/v1/authn/factors")
        self.assertError(self.post("/api/v1/authn/skip", stateToken=self.state),
                         403, "E0000079")
        self.assertError(self.verify("totp", passCode="123456"), 403, "E0000079")

    def test_recovery_and_password_reset(self):
        self.fake.update_user(self.login, recovery=True)
        body = self.start("RECOVERY")
        self.assertShape(EXAMPLE_RECOVERY, body)
        self.fake.update_user(self.login, recovery=False, password_reset=True)
        body = self.start("PASSWORD_RESET")
        self.assertShape(EXAMPLE_PASSWORD_RESET, body)
        self.assertEqual(body["_links"]["cancel"]["href"], self.fake.url + "/api/v1/authn/cancel")
        self.assertEqual(self.post("/api/v1/authn/cancel", stateToken=self.state).status, 200)
        self.assertEqual(self.fake.cancels[-1]["status"], "PASSWORD_RESET")

    def test_lockout_and_expired_unchanged(self):
        self.fake.update_user(self.login, password_expired=True)
        self.assertEqual(self.authn().json["status"], "PASSWORD_EXPIRED")
        self.fake.update_user(self.login, locked_out=True)
        self.assertEqual(self.authn().json["status"], "LOCKED_OUT")


class OtherFactors(MfaCase):

    def test_question(self):
        self.start()
        body = self.assertError(self.verify("question", answer="broccoli"), 403, "E0000068")
        self.assertIn("answer", body["errorCauses"][0]["errorSummary"])
        self.assertError(self.verify("question"), 400, "E0000001")
        self.assertSuccess(self.verify("question", answer=" Mayonnaise "),
                           ["pwd", "kba", "mfa"])

    def test_webauthn_challenge_only(self):
        self.start()
        reply = self.verify("webauthn")
        self.assertEqual((reply.status, reply.json["status"], reply.json["factorResult"],
                          reply.json["challengeType"]),
                         (200, "MFA_CHALLENGE", "CHALLENGE", "FACTOR"))
        challenge = reply.json["_embedded"]["factor"]["_embedded"]["challenge"]
        self.assertIsInstance(challenge["challenge"], str)
        self.assertNotIn("resend", reply.json["_links"])
        self.assertError(self.verify("webauthn", clientData="x", signatureData="y",
                                     authenticatorData="z"), 403, "E0000068")

    def test_passcode_tokens(self):
        self.fake.add_user(self.login, PASSWORD, mfa_required=True,
                           factors=("rsa", "yubikey", "u2f", "duo", "email"))
        self.start()
        code = self.fake.factor_passcode(self.login, "rsa")
        self.assertRegex(code, r"^\d{6}$")
        self.assertError(self.verify("yubikey", passCode=code + "9"), 403, "E0000068")
        self.assertEqual(self.verify("u2f").json["status"], "MFA_CHALLENGE")
        self.assertEqual(self.verify("duo").json["factorResult"], "WAITING")
        self.assertEqual(self.verify("email").status, 200)
        self.assertRegex(self.fake.last_email_code(self.login), r"^\d{6}$")
        self.assertSuccess(self.verify("rsa", passCode=code), ["pwd", "otp", "mfa"])


class RecordingAndBuckets(MfaCase):

    def test_bodies_and_headers_recorded(self):
        self.fake.add_user(self.login, PASSWORD, mfa_required=True, password_warn=True,
                           factors=("push", "sms"))
        self.start("PASSWORD_WARN", options={"warnBeforePasswordExpired": True})
        hdr = {"X-Forwarded-For": "203.0.113.9"}
        self.client.request("POST", "/api/v1/authn/skip", {"stateToken": self.state},
                            headers=hdr)
        fid = self.fid("push")
        path = "/api/v1/authn/factors/%s/verify" % fid
        self.client.request("POST", path + "?autoPush=false", {"stateToken": self.state},
                            headers=hdr)
        self.client.request("POST", path, {"stateToken": self.state}, headers=hdr)
        self.client.request("POST", path + "/resend", {"stateToken": self.state}, headers=hdr)
        self.client.request("POST", "/api/v1/authn/cancel", {"stateToken": self.state},
                            headers=hdr)
        recs = self.fake.requests[-5:]
        self.assertEqual([(r.path, r.status, r.note) for r in recs], [
            ("/api/v1/authn/skip", 200, "MFA_REQUIRED"),
            (path, 200, "MFA_CHALLENGE"),
            (path, 200, "MFA_CHALLENGE"),
            (path + "/resend", 200, "MFA_CHALLENGE"),
            ("/api/v1/authn/cancel", 200, "UNAUTHENTICATED")])
        for r in recs:
            self.assertEqual(r.json, {"stateToken": self.state})
            self.assertEqual(r.headers["x-forwarded-for"], "203.0.113.9")
        self.assertEqual(recs[1].query, {"autoPush": ["false"]})

    def test_verify_has_its_own_bucket(self):
        self.fake.set_rate_limit("verify", 1)
        try:
            self.start()
            self.assertEqual(self.verify("push").status, 200)
            reply = self.verify("push")
            self.assertError(reply, 429, "E0000047")
            self.assertEqual(reply.header("X-Rate-Limit-Limit"), "1")
            self.assertEqual(self.get_state().status, 200)           # authn bucket
            self.assertEqual(self.fake.rate_limit_state("verify")[1], 1)
        finally:
            self.fake.set_rate_limit("verify", 600)

    def test_faults_apply_to_verify(self):
        self.start()
        self.fake.inject("POST", r"/api/v1/authn/factors/.*/verify", status=503)
        self.assertError(self.verify("push"), 503, "E0000010")
        self.fake.inject_rate_limit("POST", r"/api/v1/authn/factors/.*/verify", reset_in=2)
        reply = self.verify("push")
        self.assertError(reply, 429, "E0000047")
        self.assertEqual(len(reply.headers("X-Rate-Limit-Reset")), 2)
        self.assertEqual(self.verify("push").status, 200)


class RealOrgShapes(MfaCase):
    """What real orgs send that a simpler fake would hide: one secret per
    enrolment, both TOTP providers in the org's order, several Okta Verify
    phones verified by type, short and mixed-case logins, the org's choice
    of errorCode for a bad session token, and the token owner at /users/me."""

    def real_user(self, factors, **kw):
        self.login = "real%d@example.com" % time.monotonic_ns()
        self.user_id = self.fake.add_user(self.login, PASSWORD, mfa_required=True,
                                          factors=factors, **kw)
        return self.start()

    def test_real_org_order_lists_both_totp_providers_and_unusable_factors(self):
        body = self.real_user(fake_okta.REAL_ORG_FACTORS)
        listed = [(f["factorType"], f["provider"]) for f in body["_embedded"]["factors"]]
        self.assertEqual(listed, [
            ("question", "OKTA"), ("token:software:totp", "GOOGLE"),
            ("token:software:totp", "OKTA"), ("push", "OKTA"), ("sms", "OKTA"),
            ("webauthn", "FIDO"), ("u2f", "FIDO"), ("email", "OKTA")])
        self.assertNotIn("factorTypes", body["_embedded"], "one Okta Verify device")

    def test_each_enrolment_has_its_own_secret(self):
        self.real_user(("google_totp", "totp"))
        self.mid_step()
        google = self.fake.totp_code(self.login, kind="google_totp")
        okta = self.fake.totp_code(self.login, kind="totp")
        self.assertNotEqual(google, okta)
        self.assertError(self.verify("totp", passCode=google), 403, "E0000068")
        self.assertError(self.verify("google_totp", passCode=okta), 403, "E0000068")
        self.assertSuccess(self.verify("totp", passCode=okta), ["pwd", "otp", "mfa"])

    def test_two_phones_publish_factor_types_and_name_each_device(self):
        body = self.real_user(("push", "totp", "push", "totp"), first_name="Dana")
        emb = body["_embedded"]
        names = [f["profile"]["name"] for f in emb["factors"] if f["factorType"] == "push"]
        self.assertEqual(names, ["Dana's iPhone", "Dana's Pixel 8"])
        self.assertEqual([f["profile"]["deviceType"] for f in emb["factors"]
                          if f["factorType"] == "push"],
                         ["SmartPhone_IPhone", "SmartPhone_Android"])
        base = self.fake.url + "/api/v1/authn/factors/"
        self.assertEqual([(t["factorType"], t["_links"]["verify"]["href"])
                          for t in emb["factorTypes"]],
                         [("push", base + "push/verify"),
                          ("token:software:totp", base + "token:software:totp/verify")])

    def by_type(self, ftype, **extra):
        body = {"stateToken": self.state}
        body.update(extra)
        return self.client.request("POST", "/api/v1/authn/factors/%s/verify" % ftype, body)

    def test_push_by_type_goes_to_every_device(self):
        self.real_user(("push", "push"))
        waiting = self.by_type("push")
        self.assertEqual(waiting.json["factorResult"], "WAITING")
        self.assertEqual(self.path(waiting.json["_links"]["next"]["href"]),
                         "/api/v1/authn/factors/push/verify")
        state = self.fake.push_state(self.login)
        self.assertEqual(state["factor_id"], "push")
        pushes = [f for f, k in self.fake.user(self.login)["factor_kinds"].items()
                  if k == "push"]
        self.assertEqual(len(pushes), 2)
        self.assertEqual(state["devices"], pushes)
        self.fake.push_approve(self.login)
        self.assertSuccess(self.by_type("push"), ["pwd", "swk", "mfa"])

    def test_code_by_type_from_either_phone(self):
        for index in (1, 0):
            with self.subTest(phone=index):
                self.real_user(("push", "totp", "push", "totp"))
                self.mid_step()
                code = self.fake.totp_code(self.login, kind="totp", index=index)
                self.assertSuccess(self.by_type("token:software:totp", passCode=code),
                                   ["pwd", "otp", "mfa"])

    def test_one_okta_verify_device_has_no_verify_by_type(self):
        self.real_user(("push", "totp"))
        self.assertError(self.by_type("push"), 404, "E0000007")

    def test_short_and_mixed_case_logins_name_the_full_user(self):
        login = "Mixed.Case%d@Example.com" % time.monotonic_ns()
        uid = self.fake.add_user(login, PASSWORD)
        for typed in (login.lower(), login.upper(), login.split("@")[0].lower()):
            with self.subTest(typed=typed):
                reply = self.authn(login=typed)
                self.assertEqual(reply.json["status"], "SUCCESS", reply)
                user = reply.json["_embedded"]["user"]
                self.assertEqual((user["id"], user["profile"]["login"]), (uid, login))
                session = self.client.create(reply.json["sessionToken"])
                self.assertEqual((session.json["userId"], session.json["login"]), (uid, login))

    def test_bad_session_token_error_code_is_an_org_setting(self):
        self.addCleanup(setattr, self.fake, "session_token_error_code", "E0000004")
        for code in ("E0000004", "E0000011"):
            with self.subTest(code=code):
                self.fake.session_token_error_code = code
                self.assertError(self.client.create("20111" + "x" * 37), 401, code)
                token = self.fake.mint_session_token(self.login)
                self.assertEqual(self.client.create(token).status, 200)
                self.assertError(self.client.create(token), 401, code)   # used

    def test_users_me_needs_a_good_token(self):
        me = self.client.request("GET", "/api/v1/users/me")
        self.assertEqual(me.status, 200)
        self.assertEqual(me.json["id"], self.fake.token_owner["id"])
        self.assertEqual(me.json["profile"]["login"], self.fake.token_owner["login"])
        self.assertError(self.client.request("GET", "/api/v1/users/me", auth="SSWS 00bad"),
                         401, "E0000011")

    def test_password_warn_says_how_many_days(self):
        self.login = "warn%d@example.com" % time.monotonic_ns()
        self.fake.add_user(self.login, PASSWORD, password_warn=True, password_expire_days=3)
        body = self.start("PASSWORD_WARN", options={"warnBeforePasswordExpired": True})
        self.assertEqual(body["_embedded"]["policy"]["expiration"]["passwordExpireDays"], 3)


class ForegroundMfa(unittest.TestCase):
    """The demo server with an MFA user prints one line per request, no secret."""

    def test_demo_never_prints_secrets(self):
        tmp = tempfile.mkdtemp(prefix="fake-okta-main-mfa-")
        self.addCleanup(shutil.rmtree, tmp, True)
        ready = os.path.join(tmp, "ready")
        seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "fake_okta.py"), "--dir", tmp,
             "--mfa-user", "bob@example.com:s3cret-pw", "--factors", "push,totp,sms",
             "--totp-seed", seed, "--push", "approve", "--push-after", "1",
             "--ready-file", ready],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8",
            env=dict(os.environ, PYTHONIOENCODING="utf-8"))
        secrets_seen = []
        try:
            deadline = time.monotonic() + 15
            while not os.path.exists(ready):
                self.assertIsNone(proc.poll())
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.02)
            with open(os.path.join(tmp, "url")) as f:
                url = f.read().strip()
            with open(os.path.join(tmp, "api_token")) as f:
                token = f.read().strip()

            class Info:
                port = int(url.rsplit(":", 1)[1])
                ca_file = os.path.join(tmp, "ca.pem")
                api_token = token
            with Client(Info) as client:
                body = client.authn("bob@example.com", "s3cret-pw").json
                state = body["stateToken"]
                links = {f["factorType"]: f["_links"]["verify"]["href"][len(url):]
                         for f in body["_embedded"]["factors"]}
                code = totp(seed, time.time())
                bad = "%06d" % ((int(code) + 500000) % 1000000)
                wrong = client.request("POST", links["token:software:totp"],
                                       {"stateToken": state, "passCode": bad})
                sms = client.request("POST", links["sms"], {"stateToken": state})
                push = client.request("POST", links["push"], {"stateToken": state})
                done = client.request("POST", push.json["_links"]["next"]["href"][len(url):],
                                      {"stateToken": state})
                secrets_seen = [state, code, bad, done.json["sessionToken"], seed, token,
                                "s3cret-pw"]
                state2 = client.authn("bob@example.com", "s3cret-pw").json["stateToken"]
                client.request("POST", "/api/v1/authn/cancel", {"stateToken": state2})
                secrets_seen.append(state2)
            self.assertEqual((wrong.status, sms.status, push.status, done.json["status"]),
                             (403, 200, 200, "SUCCESS"))
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        self.assertEqual(proc.returncode, 0, err)
        lines = [re.sub(r"/factors/[a-z]{3}[A-Za-z0-9]{17}/", "/factors/ID/", line)
                 for line in out.splitlines()]
        self.assertEqual(lines, [
            "okta: POST /api/v1/authn -> 200 MFA_REQUIRED",
            "okta: POST /api/v1/authn/factors/ID/verify -> 403 E0000068",
            "okta: POST /api/v1/authn/factors/ID/verify -> 200 MFA_CHALLENGE",
            "okta: POST /api/v1/authn/factors/ID/verify -> 200 MFA_CHALLENGE",
            "okta: POST /api/v1/authn/factors/ID/verify -> 200 SUCCESS",
            "okta: POST /api/v1/authn -> 200 MFA_REQUIRED",
            "okta: POST /api/v1/authn/cancel -> 200 UNAUTHENTICATED",
        ])
        for secret in secrets_seen:
            self.assertNotIn(secret, out + err)


if __name__ == "__main__":
    unittest.main()
