#!/usr/bin/python3
"""office-open.py DOCUMENT: loads DOCUMENT into the LibreOffice that listens on the pipe "fleet"
(workload.sh's office_open starts it), hidden, and leaves it open there. Headless LibreOffice loads
a document named on its command line and then exits; through UNO it keeps it, as a user's does."""
import sys
import time

import uno
from com.sun.star.beans import PropertyValue

ctx = uno.getComponentContext()
resolver = ctx.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", ctx)
for _ in range(600):  # the listener's start-up: minutes under emulation
    try:
        remote = resolver.resolve("uno:pipe,name=fleet;urp;StarOffice.ComponentContext")
        break
    except Exception:
        time.sleep(1)
else:
    sys.exit("office-open: no LibreOffice on the pipe 'fleet' after 600 s")
desktop = remote.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", remote)
hidden = PropertyValue()
hidden.Name, hidden.Value = "Hidden", True
if desktop.loadComponentFromURL(uno.systemPathToFileUrl(sys.argv[1]), "_blank", 0, (hidden,)) is None:
    sys.exit(f"office-open: LibreOffice did not load {sys.argv[1]}")
