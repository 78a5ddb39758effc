#ifndef TANDEM_SHIMS_H
#define TANDEM_SHIMS_H
/* Wrappers for what Swift cannot import from the C libraries: function-like macros,
   SSL_OP_* constants and variadic control functions (design notes §3). Prefix: tandem_. */
#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>

/* DTLSv1_get_timeout: 1 and the time left in *ms when a retransmission timer runs, else 0. */
int tandem_dtls_get_timeout_ms(SSL *ssl, long *ms);
/* DTLSv1_handle_timeout: retransmit the last flight if its timer expired. */
int tandem_dtls_handle_timeout(SSL *ssl);
/* DTLS_set_link_mtu: the largest datagram (UDP payload) OpenSSL may write; 1 on success. */
int tandem_dtls_set_link_mtu(SSL *ssl, long mtu);

/* SSL_CTX_set_min_proto_version / SSL_CTX_set_max_proto_version; 1 on success. */
int tandem_ssl_ctx_set_min_proto_version(SSL_CTX *ctx, int version);
int tandem_ssl_ctx_set_max_proto_version(SSL_CTX *ctx, int version);
/* SSL_CTX_set1_groups_list (e.g. "X25519:P-256"); 1 on success. */
int tandem_ssl_ctx_set1_groups_list(SSL_CTX *ctx, const char *groups);
/* SSL_CTX_set_mode; returns the new mode bits. */
long tandem_ssl_ctx_set_mode(SSL_CTX *ctx, long mode);

/* SSL_OP_* options (built with SSL_OP_BIT in OpenSSL 3). */
uint64_t tandem_ssl_op_no_query_mtu(void);
uint64_t tandem_ssl_op_no_renegotiation(void);
uint64_t tandem_ssl_op_no_ticket(void);

/* BIO_set_retry_read / BIO_clear_retry_flags. */
void tandem_bio_set_retry_read(BIO *bio);
void tandem_bio_clear_retry_flags(BIO *bio);

/* OPENSSL_free. */
void tandem_openssl_free(void *pointer);

/* EVP_EC_gen("P-256") and EVP_RSA_gen(bits) (variadic EVP_PKEY_Q_keygen underneath); NULL on failure. */
EVP_PKEY *tandem_generate_ec_p256_key(void);
EVP_PKEY *tandem_generate_rsa_key(unsigned int bits);

/* CRC32c with the SSE4.2 crc32 instruction: available (1) or not (0) on this CPU, and the update of a
   running (not complemented) value; without the instruction the update returns crc unchanged. */
int tandem_crc32c_hardware_available(void);
uint32_t tandem_crc32c_hardware_update(uint32_t crc, const void *data, size_t length);
#endif
