// The line above show notes or a post that holds images from other servers: they are not loaded
// (loading one tells its server who reads what) until the user allows them for the podcast, blog
// or page; then they come through the app's own proxy.
import { api } from "../backend.js";
import { node } from "../dom.js";
import { showError } from "../notify.js";
import type { ImageOwner } from "../bindings/ImageOwner";

const WHOSE: Record<ImageOwner["kind"], string> = { podcast: "this podcast", source: "this blog", page: "this page" };

/** The notice for `count` remote images, or null when there are none; `redraw` shows the text again. */
export function heldImagesNotice(count: number, allowed: boolean, owner: ImageOwner, redraw: () => void): HTMLElement | null {
  if (count === 0) return null;
  const images = count === 1 ? "1 image" : `${count} images`;
  const box = node("div", allowed ? "muted held-images" : "notice held-images");
  box.id = "held-images";
  const button = node("button", undefined, allowed ? `Stop loading images from ${WHOSE[owner.kind]}` : `Load images from ${WHOSE[owner.kind]}`);
  button.id = "held-images-toggle";
  button.onclick = () =>
    void api
      .setRemoteImages(owner, !allowed)
      .then(redraw)
      .catch((err: unknown) => showError(err, "Could not change the image setting"));
  box.append(
    node(
      "span",
      undefined,
      allowed
        ? `${images} from other servers shown through Earmark. `
        : `${images} on other servers not loaded: loading them tells those servers you read this. `,
    ),
    button,
  );
  return box;
}
