#include "CTandemShims.h"
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/crypto.h>

int tandem_dtls_get_timeout_ms(SSL *ssl, long *ms) {
    struct timeval tv;
    if (DTLSv1_get_timeout(ssl, &tv) != 1) return 0;
    *ms = (long)tv.tv_sec * 1000 + (long)tv.tv_usec / 1000;
    return 1;
}

int tandem_dtls_handle_timeout(SSL *ssl) {
    return (int)DTLSv1_handle_timeout(ssl);
}

int tandem_dtls_set_link_mtu(SSL *ssl, long mtu) {
    return (int)DTLS_set_link_mtu(ssl, mtu);
}

int tandem_ssl_ctx_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}

int tandem_ssl_ctx_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}

int tandem_ssl_ctx_set1_groups_list(SSL_CTX *ctx, const char *groups) {
    return (int)SSL_CTX_set1_groups_list(ctx, groups);
}

long tandem_ssl_ctx_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}

uint64_t tandem_ssl_op_no_query_mtu(void) { return SSL_OP_NO_QUERY_MTU; }
uint64_t tandem_ssl_op_no_renegotiation(void) { return SSL_OP_NO_RENEGOTIATION; }
uint64_t tandem_ssl_op_no_ticket(void) { return SSL_OP_NO_TICKET; }

void tandem_bio_set_retry_read(BIO *bio) { BIO_set_retry_read(bio); }
void tandem_bio_clear_retry_flags(BIO *bio) { BIO_clear_retry_flags(bio); }

void tandem_openssl_free(void *pointer) { OPENSSL_free(pointer); }

EVP_PKEY *tandem_generate_ec_p256_key(void) { return EVP_EC_gen("P-256"); }
EVP_PKEY *tandem_generate_rsa_key(unsigned int bits) { return EVP_RSA_gen(bits); }
