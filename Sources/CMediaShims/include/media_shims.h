#ifndef TANDEM_MEDIA_SHIMS_H
#define TANDEM_MEDIA_SHIMS_H
/* Wrappers for what Swift cannot import from libvpx and libopus: the init macros that pass the
   ABI version and the variadic control functions (design notes §3). Prefix: tandem_media_. */
#include <vpx/vpx_encoder.h>
#include <vpx/vpx_decoder.h>
#include <opus.h>

/* vpx_codec_enc_init with the VP8 encoder interface. */
vpx_codec_err_t tandem_media_vp8_encoder_init(vpx_codec_ctx_t *ctx, const vpx_codec_enc_cfg_t *cfg, vpx_codec_flags_t flags);
/* vpx_codec_dec_init with the VP8 decoder interface. */
vpx_codec_err_t tandem_media_vp8_decoder_init(vpx_codec_ctx_t *ctx, const vpx_codec_dec_cfg_t *cfg, vpx_codec_flags_t flags);
/* vpx_codec_enc_config_default for the VP8 encoder interface. */
vpx_codec_err_t tandem_media_vp8_encoder_config_default(vpx_codec_enc_cfg_t *cfg);

/* vpx_codec_control_ for controls taking an int, an unsigned int, or an int pointer. */
vpx_codec_err_t tandem_media_vpx_control_int(vpx_codec_ctx_t *ctx, int control, int value);
vpx_codec_err_t tandem_media_vpx_control_uint(vpx_codec_ctx_t *ctx, int control, unsigned int value);
vpx_codec_err_t tandem_media_vpx_control_get_int(vpx_codec_ctx_t *ctx, int control, int *value);

/* opus_encoder_ctl / opus_decoder_ctl for requests that set or get one opus_int32. */
int tandem_media_opus_encoder_set(OpusEncoder *encoder, int request, opus_int32 value);
int tandem_media_opus_encoder_get(OpusEncoder *encoder, int request, opus_int32 *value);
int tandem_media_opus_decoder_get(OpusDecoder *decoder, int request, opus_int32 *value);
#endif
