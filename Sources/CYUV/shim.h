#ifndef TANDEM_CYUV_SHIM_H
#define TANDEM_CYUV_SHIM_H
/* Debian's libyuv-dev installs its headers under /usr/include/libyuv. */
#include <libyuv/convert.h>
#include <libyuv/convert_argb.h>
#include <libyuv/convert_from_argb.h>
#include <libyuv/compare.h>
#include <libyuv/scale.h>
#endif
