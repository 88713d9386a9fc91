import { ClerkPage } from './clerk/ClerkPage';

// The clerk's page: its state lives in the ClerkPage object, not in this module.
const page = new ClerkPage();
// Exposed for the end-to-end tests and for debugging from the console.
Object.assign(window, { rvw: page.debugHandle });
void page.start();
