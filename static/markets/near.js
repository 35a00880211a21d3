// "Use my location": the phone's position goes to the server once, as a query, to pick
// the nearest market; the server keeps only the 시/도 in a cookie.
const button = document.querySelector("[data-near-me]");
if (button && "geolocation" in navigator) {
  button.hidden = false;
  button.addEventListener("click", () => {
    navigator.geolocation.getCurrentPosition((position) => {
      const { latitude, longitude } = position.coords;
      const query = new URLSearchParams({ lat: latitude.toFixed(3), lng: longitude.toFixed(3) });
      window.location.assign(`/markets-near?${query}`);
    });
  });
}
