"""The official Python client (authy 2.2.6) verifying tokens in a loop.

Usage: python_client.py URL SECONDS -> prints calls per second.
"""
import sys
import time

from authy.api import AuthyApiClient

url, seconds = sys.argv[1], float(sys.argv[2])
api = AuthyApiClient("bench-key", api_uri=url)
calls = 0
started = time.time()
while time.time() - started < seconds:
    assert api.tokens.verify(1, "1234567").ok()
    calls += 1
print("%.0f" % (calls / (time.time() - started)))
