#include "x11_shims.h"
#include <pthread.h>
#include <sys/ipc.h>
#include <sys/shm.h>

int tandem_x11_default_screen(Display *display) { return DefaultScreen(display); }
int tandem_x11_screen_count(Display *display) { return ScreenCount(display); }
Window tandem_x11_root_window(Display *display, int screen) { return RootWindow(display, screen); }
int tandem_x11_display_width(Display *display, int screen) { return DisplayWidth(display, screen); }
int tandem_x11_display_height(Display *display, int screen) { return DisplayHeight(display, screen); }
int tandem_x11_default_depth(Display *display, int screen) { return DefaultDepth(display, screen); }
Visual *tandem_x11_default_visual(Display *display, int screen) { return DefaultVisual(display, screen); }
unsigned long tandem_x11_black_pixel(Display *display, int screen) { return BlackPixel(display, screen); }
int tandem_x11_connection_number(Display *display) { return ConnectionNumber(display); }
unsigned long tandem_x11_all_planes(void) { return AllPlanes; }

void tandem_x11_destroy_image(XImage *image) { XDestroyImage(image); }

int tandem_x11_shm_create(size_t size) { return shmget(IPC_PRIVATE, size, IPC_CREAT | 0600); }

/* Xlib calls the error handler on the thread that reads the error from its connection, which
   for XSync is the caller's thread: the trap state is therefore per thread. */
static _Thread_local int trapping;
static _Thread_local int trapped_error;
static XErrorHandler previous_handler;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static int tandem_x11_error_handler(Display *display, XErrorEvent *event) {
    if (trapping) {
        if (trapped_error == Success) trapped_error = event->error_code;
        return 0;
    }
    return previous_handler ? previous_handler(display, event) : 0;
}

static void tandem_x11_install_handler(void) { previous_handler = XSetErrorHandler(tandem_x11_error_handler); }

void tandem_x11_trap_errors(void) {
    pthread_once(&install_once, tandem_x11_install_handler);
    trapping = 1;
    trapped_error = Success;
}

int tandem_x11_untrap_errors(Display *display) {
    XSync(display, False);
    trapping = 0;
    return trapped_error;
}
