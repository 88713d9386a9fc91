/**
 * Shows a modal `<dialog>` holding a `<form>` and resolves true when it is submitted and
 * `validate` accepts it (a refusal is shown in the dialog's `.form-error` and the dialog stays),
 * false on 取消, Esc or a click on the backdrop. Replaces the browser's native prompt(): a date
 * picker, labelled fields and Chinese validation messages.
 */
export function askInDialog(dialog: HTMLDialogElement, options: { validate?: () => string | undefined } = {}): Promise<boolean> {
  const form = dialog.querySelector('form');
  const error = dialog.querySelector<HTMLElement>('.form-error');
  const cancel = dialog.querySelector<HTMLButtonElement>('[data-dialog-cancel]');
  if (!form) throw new Error(`dialog #${dialog.id} has no form`);
  const showError = (message: string | undefined) => {
    if (!error) return;
    error.textContent = message ?? '';
    error.classList.toggle('hidden', !message);
  };
  showError(undefined);
  return new Promise((resolve) => {
    const finish = (ok: boolean) => {
      form.removeEventListener('submit', onSubmit);
      cancel?.removeEventListener('click', onCancel);
      dialog.removeEventListener('cancel', onCancel);
      if (dialog.open) dialog.close();
      resolve(ok);
    };
    const onSubmit = (e: Event) => {
      e.preventDefault();
      const problem = options.validate?.();
      if (problem) return showError(problem);
      finish(true);
    };
    const onCancel = (e: Event) => {
      e.preventDefault();
      finish(false);
    };
    form.addEventListener('submit', onSubmit);
    cancel?.addEventListener('click', onCancel);
    dialog.addEventListener('cancel', onCancel);
    dialog.showModal();
  });
}
