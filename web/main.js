// Entry of the page: start the app.  A login gate replaces this call with
// its own, which calls startApp() once the user is signed in.
import { startApp } from "./app.js";

startApp();
