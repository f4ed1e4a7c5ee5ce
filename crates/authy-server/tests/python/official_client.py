"""The official Python client (authy==2.2.6) against our server.

Run by tests/it/python.rs with AUTHY_API_URL and AUTHY_API_KEY set. Every
check is an assert; the script prints one line per step and exits non-zero
on the first failure.
"""
import os
import signal
import sys

import requests
from authy.api import AuthyApiClient

# An answer that never comes must fail the test, not hang it: SIGALRM's
# default action ends the process, which the Rust test reports with our output.
signal.alarm(120)

URL = os.environ["AUTHY_API_URL"]
KEY = os.environ["AUTHY_API_KEY"]
api = AuthyApiClient(KEY, api_uri=URL)


def step(name):
    print("python:", name, flush=True)


def sandbox(path, **params):
    answer = requests.get(URL + path, headers={"X-Authy-API-Key": KEY}, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def last_code(authy_id):
    return sandbox("/sandbox/messages", authy_id=authy_id, limit=1)["messages"][0]["code"]


step("create the same user twice")
user = api.users.create("ada@example.com", "405-342-5699", 1)
assert user.ok(), user.errors()
again = api.users.create("ada+2@example.com", "4053425699", country_code=1)
assert again.ok() and again.id == user.id, (user.id, again.id)
assert user["message"] == "User created successfully."

step("invalid user")
bad = api.users.create("not-an-email", "12", 1)
assert not bad.ok()
assert bad.errors()["email"] == "is invalid", bad.errors()
assert bad["error_code"] == "60027"

step("status")
status = api.users.status(user.id)
assert status.ok(), status.errors()
assert status["status"]["authy_id"] == user.id
assert status["status"]["phone_number"] == "XXX-XXX-5699"
assert status["message"] == "User status."

step("request an SMS and read it from the sandbox")
sms = api.users.request_sms(user.id, {"force": True, "locale": "es"})
assert sms.ok(), sms.errors()
assert not sms.ignored()
assert sms["cellphone"] == "+1-XXX-XXX-XX99"
code = last_code(user.id)

step("verify: wrong, valid, reused")
wrong = api.tokens.verify(user.id, "0000000" if code != "0000000" else "1111111")
assert not wrong.ok()
assert wrong.errors()["message"] == "Token is invalid"
valid = api.tokens.verify(user.id, code)
assert valid.ok(), valid.errors()
reused = api.tokens.verify(user.id, code)
assert not reused.ok()
assert reused["error_code"] == "60019", reused.content

step("voice call")
call = api.users.request_call(user.id, {"force": True})
assert call.ok() and call["message"] == "Call started...", call.content

step("QR code for an authenticator app")
qr = api.users.generate_qr(user.id, size=300, label="Example: ada")
assert qr.ok(), qr.errors()
assert qr["qr_code"].startswith("data:image/png;base64,")
assert qr["label"] == "Example: ada"

step("ignored SMS once the user has the Authy app")
sandbox_device = requests.post(URL + "/sandbox/users/%d/devices" % user.id, headers={"X-Authy-API-Key": KEY}, json={"os_type": "android"})
assert sandbox_device.status_code == 200, sandbox_device.text
ignored = api.users.request_sms(user.id)
assert ignored.ok() and ignored.ignored() and ignored["device"] == "android"
totp = sandbox("/sandbox/users/%d/totp" % user.id)["token"]
assert api.tokens.verify(user.id, totp).ok()

step("registration status")
registration = api.users.registration_status("user-42")
assert not registration.ok() and registration["error_code"] == "60035"

step("application details and stats")
details = api.apps.fetch()
assert details.ok(), details.errors()
assert details["message"] == "Application information."
assert details["app"]["name"] == "Sandbox App"
stats = api.stats.fetch()
assert stats.ok(), stats.errors()
assert stats["count"] == 12 and len(stats["stats"]) == 12
this_month = stats["stats"][-1]
assert sorted(this_month) == ["api_calls_count", "auths_count", "calls_count", "month", "sms_count", "users_count", "year"]
assert this_month["users_count"] == 1 and this_month["sms_count"] == 1 and this_month["calls_count"] == 1
assert this_month["auths_count"] == 2

step("delete")
deleted = api.users.delete(user.id)
assert deleted.ok(), deleted.errors()
assert deleted["message"] == "User removed from application"
gone = api.users.status(user.id)
assert not gone.ok() and gone["error_code"] == "60026"

print("python: all flows passed")
sys.exit(0)
