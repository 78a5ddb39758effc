"""Headless Chromium through Selenium, as the Chromium echo peers start it.

Shared by chromium_echo_client.py and chromium_echo_server.py: the flags that
make headless WebRTC work on loopback (Interop/README.md, "Facts measured
here") and the driver construction.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
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


class BrowserWorker:
    """One headless Chromium driven from asyncio. Every WebDriver call runs on
    one worker thread, so they never overlap (a WebDriver session takes one
    command at a time). `scripts` is run in the page once it has loaded;
    `close_script` closes the page's peer connections before the browser quits."""

    def __init__(self, script_timeout: float, close_script: str) -> None:
        self.driver = None
        self.worker = ThreadPoolExecutor(max_workers=1)
        self.failure: str | None = None
        self._script_timeout = script_timeout
        self._close_script = close_script

    async def _in_browser(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(self.worker, function, *args)

    async def start_browser(self, page_url: str, log_path: str | None, scripts: str) -> None:
        def start() -> None:
            self.driver = new_driver(log_path)
            self.driver.set_script_timeout(self._script_timeout)
            self.driver.get(page_url)
            self.driver.execute_script(scripts)

        await self._in_browser(start)

    async def close(self) -> None:
        if self.driver is not None:
            driver = self.driver

            def quit_browser() -> None:
                try:
                    driver.execute_script(self._close_script)
                except WebDriverException:
                    pass
                driver.quit()

            await self._in_browser(quit_browser)
        self.worker.shutdown(wait=False)
