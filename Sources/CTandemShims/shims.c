#include "CTandemShims.h"

int tandem_dtls_get_timeout_ms(SSL *ssl, long *ms) {
    struct timeval tv;
    if (DTLSv1_get_timeout(ssl, &tv) != 1) return 0;
    *ms = (long)tv.tv_sec * 1000 + (long)tv.tv_usec / 1000;
    return 1;
}

int tandem_dtls_handle_timeout(SSL *ssl) {
    return (int)DTLSv1_handle_timeout(ssl);
}
