import { byId } from '../../ui/dom';
import { IdCardReadError, type IdCardReader, type IdCardReading } from './IdCardReader';

/**
 * The 读取身份证 button of the counter's form: a reading fills the applicant's name and number and
 * locks them (what the case opens with is what the card says; 重新填写 unlocks and forgets it).
 * The reading — photo included — lives here only until the case has it or the form is cleared:
 * nothing of one applicant's card stays for the next.
 */
export class IdCardPanel {
  #reader: IdCardReader | undefined;
  #reading: IdCardReading | undefined;

  constructor() {
    byId('btn-read-card').addEventListener('click', () => void this.#read());
    byId('btn-card-clear').addEventListener('click', () => {
      this.clear();
      for (const id of ['app-name', 'app-id']) byId<HTMLInputElement>(id).value = '';
      byId('app-name').focus();
    });
  }

  /** The terminal's reader (none: the button stays hidden and the details are typed). */
  setReader(reader: IdCardReader | undefined): void {
    this.#reader = reader;
    byId('btn-read-card').classList.toggle('hidden', reader === undefined);
  }

  /** The card read for the applicant in the form (the fields are locked to it), if any. */
  get reading(): IdCardReading | undefined {
    return this.#reading;
  }

  /** Forgets the reading and unlocks the form. */
  clear(): void {
    this.#reading = undefined;
    for (const id of ['app-name', 'app-id']) byId<HTMLInputElement>(id).readOnly = false;
    byId('card-status').textContent = '';
    byId('card-status').classList.add('hidden');
    byId('btn-card-clear').classList.add('hidden');
  }

  async #read(): Promise<void> {
    const reader = this.#reader;
    if (!reader) return;
    const button = byId<HTMLButtonElement>('btn-read-card');
    const status = byId('card-status');
    button.disabled = true;
    status.classList.remove('hidden', 'error');
    status.textContent = '正在读卡，请将身份证放在读卡器上…';
    try {
      const reading = await reader.read();
      this.#reading = reading;
      byId<HTMLInputElement>('app-name').value = reading.name;
      byId<HTMLInputElement>('app-id').value = reading.idNumber;
      for (const id of ['app-name', 'app-id']) byId<HTMLInputElement>(id).readOnly = true;
      status.textContent = reading.sample ? '已读取身份证（样例数据：测试读卡器，非真实证件）' : '已读取身份证';
      byId('btn-card-clear').classList.remove('hidden');
    } catch (e) {
      status.classList.add('error');
      status.textContent = e instanceof IdCardReadError ? e.message : '读卡失败，请重试或手工填写';
    } finally {
      button.disabled = false;
    }
  }
}
