#include "media_shims.h"
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>

vpx_codec_err_t tandem_media_vp8_encoder_init(vpx_codec_ctx_t *ctx, const vpx_codec_enc_cfg_t *cfg, vpx_codec_flags_t flags) {
    return vpx_codec_enc_init(ctx, vpx_codec_vp8_cx(), cfg, flags);
}

vpx_codec_err_t tandem_media_vp8_decoder_init(vpx_codec_ctx_t *ctx, const vpx_codec_dec_cfg_t *cfg, vpx_codec_flags_t flags) {
    return vpx_codec_dec_init(ctx, vpx_codec_vp8_dx(), cfg, flags);
}

vpx_codec_err_t tandem_media_vp8_encoder_config_default(vpx_codec_enc_cfg_t *cfg) {
    return vpx_codec_enc_config_default(vpx_codec_vp8_cx(), cfg, 0);
}

vpx_codec_err_t tandem_media_vpx_control_int(vpx_codec_ctx_t *ctx, int control, int value) {
    return vpx_codec_control_(ctx, control, value);
}

vpx_codec_err_t tandem_media_vpx_control_uint(vpx_codec_ctx_t *ctx, int control, unsigned int value) {
    return vpx_codec_control_(ctx, control, value);
}

vpx_codec_err_t tandem_media_vpx_control_get_int(vpx_codec_ctx_t *ctx, int control, int *value) {
    return vpx_codec_control_(ctx, control, value);
}

int tandem_media_opus_encoder_set(OpusEncoder *encoder, int request, opus_int32 value) {
    return opus_encoder_ctl(encoder, request, value);
}

int tandem_media_opus_encoder_get(OpusEncoder *encoder, int request, opus_int32 *value) {
    return opus_encoder_ctl(encoder, request, value);
}

int tandem_media_opus_decoder_get(OpusDecoder *decoder, int request, opus_int32 *value) {
    return opus_decoder_ctl(decoder, request, value);
}
