"""The official Python client (authy==2.2.6): OneTouch with a signed callback
validated by `validate_one_touch_signature`, phone verification and info.

Run by tests/it/python.rs with AUTHY_API_URL and AUTHY_API_KEY set.
"""
import http.server
import json
import os
import queue
import re
import signal
import sys
import threading

import requests
from authy.api import AuthyApiClient

# An answer that never comes must fail the test, not hang it: SIGALRM's
# default action ends the process, which the Rust test reports with our output.
signal.alarm(120)

URL = os.environ["AUTHY_API_URL"]
KEY = os.environ["AUTHY_API_KEY"]
api = AuthyApiClient(KEY, api_uri=URL)
HEADERS = {"X-Authy-API-Key": KEY}


def step(name):
    print("python:", name, flush=True)


received = queue.Queue()


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        received.put((self.headers, body))  # case-insensitive lookups
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
callback_url = "http://127.0.0.1:%d/authy/callback" % server.server_address[1]
assert requests.put(URL + "/sandbox/app", headers=HEADERS, json={"onetouch_callback_url": callback_url}).status_code == 200

user = api.users.create("ada@example.com", "405-342-5699", 1)
assert user.ok(), user.errors()

step("send an approval request")
details = {"Account Number": "981266321", "Process ID": "1234", "Location": "Lisbon, PT"}
sent = api.one_touch.send_request(
    user.id, "Log in to Example?", seconds_to_expire=120, details=details,
    hidden_details={"IP Address": "10.10.3.203"},
    logos=[{"res": "default", "url": "https://example.com/logo.png"}],
)
assert sent.ok(), sent.errors()
uuid = sent.get_uuid()
assert uuid

step("status pending")
status = api.one_touch.get_approval_status(uuid)
assert status.ok() and status.status() is True
assert status["approval_request"]["status"] == "pending"

step("approve in the sandbox")
approved = requests.post(URL + "/sandbox/approval_requests/%s/approve" % uuid, headers=HEADERS, json={"device_details": {"Model": "Pixel 9"}})
assert approved.status_code == 200, approved.text
status = api.one_touch.get_approval_status(uuid)
assert status["approval_request"]["status"] == "approved"

step("the callback's signature is valid for validate_one_touch_signature")
headers, body = received.get(timeout=20)
params = json.loads(body)
signature = headers["X-Authy-Signature"]
nonce = headers["X-Authy-Signature-Nonce"]
assert params["status"] == "approved" and params["uuid"] == uuid
assert api.one_touch.validate_one_touch_signature(signature, nonce, "POST", callback_url, params) is True
params["approval_request"]["transaction"]["details"]["Location"] = "Elsewhere"
assert api.one_touch.validate_one_touch_signature(signature, nonce, "POST", callback_url, params) is False
assert api.one_touch.validate_one_touch_signature(signature, nonce, "POST", callback_url + "x", json.loads(body)) is False

step("deny a second request")
second = api.one_touch.send_request(user.id, "Transfer 42 EUR?", details={"Amount": "42 EUR"})
assert second.ok()
denied = requests.post(URL + "/sandbox/approval_requests/%s/deny" % second.get_uuid(), headers=HEADERS)
assert denied.status_code == 200, denied.text
headers, body = received.get(timeout=20)
params = json.loads(body)
assert params["status"] == "denied"
assert api.one_touch.validate_one_touch_signature(headers["X-Authy-Signature"], headers["X-Authy-Signature-Nonce"], "POST", callback_url, params) is True

step("unknown approval request")
missing = api.one_touch.get_approval_status("3f05a350-4b2c-0136-f779-12c0c2bf9eab")
assert not missing.ok() and missing["error_code"] == "60049"

step("phone verification: start, wrong code, right code, nothing pending")
start = api.phones.verification_start("201-555-0123", "1", via="sms", code_length=6)
assert start.ok(), start.errors()
assert start["message"] == "Text message sent to +1 201-555-0123."
assert start["seconds_to_expire"] == 599
inbox = requests.get(URL + "/sandbox/messages", headers=HEADERS, params={"limit": 1}).json()
code = inbox["messages"][0]["code"]
assert len(code) == 6
wrong = api.phones.verification_check("201-555-0123", "1", "000000" if code != "000000" else "111111")
assert not wrong.ok() and wrong["error_code"] == "60022"
right = api.phones.verification_check("201-555-0123", "1", code)
assert right.ok(), right.errors()
assert right["message"] == "Verification code is correct."
again = api.phones.verification_check("201-555-0123", "1", code)
assert not again.ok() and again["error_code"] == "60023"
assert again["message"] == "No pending verifications for +1 201-555-0123 found."

step("phone verification by call, in Spanish")
call = api.phones.verification_start("775-461-5609", "1", via="call", locale="es")
assert call.ok() and call["message"] == "Llamada a +1 775-461-5609 fue iniciada.", call.content

step("phone information")
info = api.phones.info("7106 123456", "44")
assert info.ok(), info.errors()
assert info["type"] == "cellphone" and info["provider"] == "O2" and info["ported"] is False
assert re.match(r"^Phone number information as of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$", info["message"])
invalid = api.phones.info("555-0123", "1")
assert not invalid.ok() and invalid["error_code"] == "60033"

server.shutdown()
print("python: all flows passed")
sys.exit(0)
