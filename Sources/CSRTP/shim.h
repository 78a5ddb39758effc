#ifndef TANDEM_CSRTP_SHIM_H
#define TANDEM_CSRTP_SHIM_H
#include <srtp2/srtp.h>
#endif
