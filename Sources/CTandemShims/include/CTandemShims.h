#ifndef TANDEM_SHIMS_H
#define TANDEM_SHIMS_H
/* Wrappers for what Swift cannot import from the C libraries: function-like macros,
   SSL_OP_* constants and variadic control functions (design notes §3). Prefix: tandem_. */
#include <openssl/ssl.h>

/* DTLSv1_get_timeout: 1 and the time left in *ms when a retransmission timer runs, else 0. */
int tandem_dtls_get_timeout_ms(SSL *ssl, long *ms);
/* DTLSv1_handle_timeout: retransmit the last flight if its timer expired. */
int tandem_dtls_handle_timeout(SSL *ssl);
#endif
