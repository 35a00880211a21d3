// The report form sends the moment being watched: the replay's playback position.
// During a live show the field stays empty and the server takes "now" in the show.
const video = document.querySelector("[data-testid=replay-video]");
for (const form of document.querySelectorAll("[data-report-form]")) {
  form.addEventListener("submit", () => {
    const field = form.querySelector("[data-report-offset]");
    if (video && field && Number.isFinite(video.currentTime)) {
      field.value = String(Math.floor(video.currentTime));
    }
  });
}
