import { CounterPage } from './counter/CounterPage';

// The counter terminal's page: its state lives in the CounterPage object, not in this module.
const page = new CounterPage();
// Exposed for the end-to-end tests and for hall technicians debugging from the console.
Object.assign(window, { rvw: page.debugHandle });
void page.start();
