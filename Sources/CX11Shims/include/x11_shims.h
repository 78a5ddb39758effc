#ifndef TANDEM_X11_SHIMS_H
#define TANDEM_X11_SHIMS_H
/* What Swift cannot import from Xlib and SysV IPC: function-like macros (Xlib.h, Xutil.h),
   AllPlanes and IPC_PRIVATE (casts), and a trap for X protocol errors. Prefix: tandem_x11_. */
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <stddef.h>

/* Xlib.h display macros. */
int tandem_x11_default_screen(Display *display);
int tandem_x11_screen_count(Display *display);
Window tandem_x11_root_window(Display *display, int screen);
int tandem_x11_display_width(Display *display, int screen);
int tandem_x11_display_height(Display *display, int screen);
int tandem_x11_default_depth(Display *display, int screen);
Visual *tandem_x11_default_visual(Display *display, int screen);
unsigned long tandem_x11_black_pixel(Display *display, int screen);
int tandem_x11_connection_number(Display *display);
unsigned long tandem_x11_all_planes(void);

/* XDestroyImage (Xutil.h): frees the XImage and, unless the caller set image->data to NULL
   first, its pixel buffer. */
void tandem_x11_destroy_image(XImage *image);

/* shmget(IPC_PRIVATE, size, IPC_CREAT | 0600): a new private segment; -1 on failure. */
int tandem_x11_shm_create(size_t size);

/* X protocol errors are reported asynchronously to a process-wide handler whose Xlib default
   prints and exits (Xlib manual §11.8.2). Between trap and untrap, errors raised on the calling
   thread are recorded instead; untrap waits for the server (XSync) and returns the first error
   code, or 0 (Success). Traps do not nest. Errors outside a trap go to the previous handler. */
void tandem_x11_trap_errors(void);
int tandem_x11_untrap_errors(Display *display);
#endif
