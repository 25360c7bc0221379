/**
 * When the page comes back to the foreground: a phone puts a tab in the background (hidden,
 * perhaps frozen or kept in the back/forward cache) and may take its camera away meanwhile.
 */

/** Calls `returned` each time the page is visible again; returns the function that stops it. */
export function onPageReturn(returned: () => void): () => void {
  let hidden = document.visibilityState === 'hidden';
  const visibility = () => {
    if (document.visibilityState === 'hidden') hidden = true;
    else if (hidden) {
      hidden = false;
      returned();
    }
  };
  // A frozen page, or one restored from the back/forward cache, missed nothing else to go by.
  const resumed = () => returned();
  const restored = (e: PageTransitionEvent) => {
    if (e.persisted) returned();
  };
  document.addEventListener('visibilitychange', visibility);
  document.addEventListener('resume', resumed);
  window.addEventListener('pageshow', restored);
  return () => {
    document.removeEventListener('visibilitychange', visibility);
    document.removeEventListener('resume', resumed);
    window.removeEventListener('pageshow', restored);
  };
}
