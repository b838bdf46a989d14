// Entry of the page.  The sign-in gate comes first: login.js adds the
// session's CSRF token to every state-changing request of the page, and
// shows the sign-in form when nobody is signed in.  The upload app and the
// status view start only for a signed-in user.
import { authReady, myRole, signedIn } from "./login.js";
import { startApp } from "./app.js";

authReady.then(async () => {
  if (!signedIn()) return;
  await startApp();
  // health, alerts and figures of every company: for a super admin
  if (myRole() === "super_admin") await import("./status.js");
});
