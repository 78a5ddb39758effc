"""Headless Chromium through Selenium, as the Chromium echo peers start it.

Shared by chromium_echo_client.py and chromium_echo_server.py: the flags that
make headless WebRTC work on loopback (Interop/README.md, "Facts measured
here") and the driver construction.
"""

from __future__ import annotations

import os

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM_BINARY = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-dev-shm-usage",
    # Without it headless Chromium gathers no candidate on loopback.
    "--allow-loopback-in-peer-connection",
    # Real IP addresses in candidates instead of random .local mDNS names.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    # No background requests to outside services.
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

BLANK_PAGE = b"<!doctype html><meta charset=utf-8><title>%s</title><body></body>"


def blank_page(title: str) -> bytes:
    return BLANK_PAGE % title.encode()


def new_driver(log_path: str | None = None) -> webdriver.Chrome:
    os.environ.setdefault("SE_OFFLINE", "true")  # no Selenium Manager downloads
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM_BINARY
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    service = Service(CHROMEDRIVER, log_output=log_path) if log_path else Service(CHROMEDRIVER)
    return webdriver.Chrome(service=service, options=options)
