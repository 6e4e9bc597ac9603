/* Found through INCLUDE_DIRECTORIES. */
#define ANSWER_PLUS(x) ((x) + BONUS)
