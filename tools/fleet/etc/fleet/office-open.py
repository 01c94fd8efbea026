#!/usr/bin/python3
"""office-open.py PIPE SECONDS DOCUMENT: loads DOCUMENT into the LibreOffice that listens on the UNO
pipe PIPE (workload.sh's office_open starts it), waiting at most SECONDS for it, hidden, and
leaves it open there. Headless LibreOffice loads
a document named on its command line and then exits; through UNO it keeps it, as a user's does."""
import sys
import time

import uno
from com.sun.star.beans import PropertyValue

pipe, seconds, document = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = uno.getComponentContext()
resolver = ctx.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", ctx)
deadline = time.monotonic() + seconds
while True:  # the listener's start-up: minutes under emulation
    try:
        remote = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        break
    except Exception:
        if time.monotonic() > deadline:
            sys.exit(f"office-open: no LibreOffice on the pipe {pipe} after {seconds} s")
        time.sleep(1)
desktop = remote.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", remote)
hidden = PropertyValue()
hidden.Name, hidden.Value = "Hidden", True
if desktop.loadComponentFromURL(uno.systemPathToFileUrl(document), "_blank", 0, (hidden,)) is None:
    sys.exit(f"office-open: LibreOffice did not load {document}")
