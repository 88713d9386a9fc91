import { PlaybackPage } from '../playback/PlaybackPage';

// 录像回放: the page's state lives in the PlaybackPage object.
const page = new PlaybackPage();
// Exposed for the end-to-end tests and for debugging from the console.
Object.assign(window, { rvw: page.debugHandle });
void page.start();
