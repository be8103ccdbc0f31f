/* A product picture that fails to load is replaced by the designed placeholder (never the
   browser's broken-image icon). Listens instead of an inline onerror: the CSP allows no inline
   script. Images that failed before this ran (naturalWidth 0 once complete) are swapped too. */
(function () {
  "use strict";

  function showPlaceholder(img) {
    const frame = img.parentElement;
    frame.classList.add("product-image--missing");
    frame.setAttribute("role", "img");
    frame.setAttribute("aria-label", `${img.alt || "Product"}: no picture available`);
    img.remove();
  }

  for (const img of document.querySelectorAll("img[data-product-image]")) {
    if (img.complete && img.naturalWidth === 0) showPlaceholder(img);
    else img.addEventListener("error", () => showPlaceholder(img), { once: true });
  }
})();
