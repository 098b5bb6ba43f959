"""In the browser, on loopback only: serve a build folder, the live preview, the studio."""
