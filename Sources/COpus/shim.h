#ifndef TANDEM_COPUS_SHIM_H
#define TANDEM_COPUS_SHIM_H
#include <opus.h>
#endif
