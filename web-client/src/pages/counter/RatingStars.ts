import { h } from '../../ui/dom';

/** The 好差评 five levels, from 1 star to 5. */
const RATING_LABELS = ['非常不满意', '不满意', '基本满意', '满意', '非常满意'];

/** Who is rated: the remote clerk's service and this counter's. */
export type RatingTarget = 'clerk' | 'counter';

/** The 好差评 stars of the finish step (every `.stars` box of the page) and the scores chosen. */
export class RatingStars {
  #scores: Record<RatingTarget, number> = { clerk: 0, counter: 0 };

  /** The chosen score of `target` (0: none yet). */
  score(target: RatingTarget): number {
    return this.#scores[target];
  }

  /** Empty stars, nothing chosen (also the start for the next applicant). */
  reset(): void {
    this.#scores = { clerk: 0, counter: 0 };
    for (const box of document.querySelectorAll<HTMLElement>('.stars')) {
      const target = box.dataset.target as RatingTarget;
      const buttons = RATING_LABELS.map((label, i) =>
        h(
          'button',
          {
            type: 'button',
            className: 'star',
            'data-score': i + 1,
            'aria-pressed': 'false',
            'aria-label': `${i + 1} 星 ${label}`,
            onclick: () => {
              this.#scores[target] = i + 1;
              renderStars(buttons, i + 1);
            },
          },
          h('span', { className: 'glyph', 'aria-hidden': 'true' }, '★'),
          h('span', { className: 'star-label' }, label),
        ),
      );
      box.replaceChildren(...buttons);
    }
  }

  /** For the console (hall technicians): the scores as chosen. */
  get scores(): Readonly<Record<RatingTarget, number>> {
    return this.#scores;
  }
}

/** Filled up to the score, the chosen one marked (colour, border, aria-pressed). */
function renderStars(buttons: HTMLButtonElement[], score: number): void {
  buttons.forEach((b, i) => {
    b.classList.toggle('on', i < score);
    b.classList.toggle('chosen', i + 1 === score);
    b.setAttribute('aria-pressed', String(i + 1 === score));
  });
}
