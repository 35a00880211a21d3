// HLS playback for viewers past WebRTC (blocked UDP, no WebRTC, a full show, or the
// PLAYER_TRANSPORT setting). hls.js (from the npm registry) wherever Media Source
// Extensions exist; the browser's own HLS only where they don't (iPhone Safari before
// iOS 17.1), because some browsers' own HLS cannot read fMP4 segments yet.
export async function playHls(video, url) {
  const { default: Hls } = await import("/static/vendor/hls.js/hls.min.mjs");
  if (!Hls.isSupported()) {
    if (!video.canPlayType("application/vnd.apple.mpegurl")) {
      throw new Error("this browser can play neither WebRTC nor HLS");
    }
    video.src = url;
    return { destroy() { video.removeAttribute("src"); video.load(); } };
  }
  const hls = new Hls({
    // Stay close to the live edge: two one-second segments behind, never more than five.
    liveSyncDurationCount: 2,
    liveMaxLatencyDurationCount: 5,
    maxLiveSyncPlaybackRate: 1.2,
    backBufferLength: 10,
    manifestLoadPolicy: {
      default: {
        maxTimeToFirstByteMs: 10000,
        maxLoadTimeMs: 20000,
        timeoutRetry: { maxNumRetry: 5, retryDelayMs: 500, maxRetryDelayMs: 2000 },
        errorRetry: { maxNumRetry: 10, retryDelayMs: 500, maxRetryDelayMs: 2000 },
      },
    },
  });
  hls.on(Hls.Events.ERROR, (_, data) => {
    if (data.fatal) console.warn("HLS playback stopped:", data.type, data.details);
  });
  hls.loadSource(url);
  hls.attachMedia(video);
  return hls;
}
