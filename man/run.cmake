# SPDX-License-Identifier: MIT
# Runs PROGRAM with ARGS (separated by '|'), stdin from IN (may be empty), stdout to OUT; fails the
# build when the program fails. (A custom command cannot redirect portably by itself.)
string(REPLACE "|" ";" ARGS "${ARGS}")
if(IN)
  set(input INPUT_FILE ${IN})
endif()
execute_process(COMMAND ${PROGRAM} ${ARGS} ${input} OUTPUT_FILE ${OUT}.tmp
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUT}.tmp)
  message(FATAL_ERROR "${PROGRAM} ${ARGS}: exit ${rc}: ${err}")
endif()
file(RENAME ${OUT}.tmp ${OUT})
