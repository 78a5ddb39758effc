#ifndef TANDEM_CX11_SHIM_H
#define TANDEM_CX11_SHIM_H
/* Xlib with the extensions Tandem uses: MIT-SHM (libXext) for capture, RandR 1.5 monitors
   (libXrandr) for multi-monitor, XTest (libXtst) for synthetic input. Macros Swift cannot
   import are wrapped in CX11Shims. */
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/XKBlib.h>
#include <X11/keysym.h>
#include <X11/extensions/XShm.h>
#include <X11/extensions/Xrandr.h>
#include <X11/extensions/XTest.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#endif
