// The store page's products, read from the public API (the page itself is the core's).
import { krw } from "/static/checkout/live.js";

const section = document.querySelector("[data-store-products]");
const response = await fetch(`/api/stores/${section.dataset.storeProducts}/products`);
if (response.ok) {
  const products = await response.json();
  const grid = section.querySelector(".product-grid");
  for (const product of products) {
    const link = document.createElement("a");
    link.className = "product-tile";
    link.href = product.url;
    if (product.thumb_url) {
      const img = document.createElement("img");
      img.src = product.thumb_url;
      img.alt = "";
      link.append(img);
    }
    const name = document.createElement("strong");
    name.textContent = product.name;
    const price = document.createElement("span");
    price.textContent = krw(product.price);
    link.append(name, price);
    grid.append(link);
  }
  section.hidden = products.length === 0;
}
