# SPDX-License-Identifier: MIT
# The BPF half of the process map (`-p`): bpf/process_map.bpf.c is compiled with clang for the
# bpf target and embedded into tcpscope_source as a byte array (embed.cmake). Without a clang
# that can target BPF the array is empty and the process map always walks /proc.
# Included from the top-level CMakeLists.txt after tcpscope_source is defined.
set(_pm_bpf_dir ${CMAKE_SOURCE_DIR}/src/source/bpf)
set(_pm_bpf_out ${CMAKE_BINARY_DIR}/generated)
set(_pm_bpf_cpp ${_pm_bpf_out}/process_map_bpf_object.cpp)
file(MAKE_DIRECTORY ${_pm_bpf_out})

find_program(TCPSCOPE_BPF_CLANG NAMES clang-14 clang DOC "clang used to compile BPF programs")
set(_pm_bpf_ok OFF)
if(TCPSCOPE_BPF_CLANG)
  # A clang without the BPF backend exists (distributions may leave it out): try it once.
  execute_process(COMMAND ${TCPSCOPE_BPF_CLANG} -target bpf -O2 -g -c -x c - -o /dev/null
                  INPUT_FILE ${_pm_bpf_dir}/process_map.bpf.c
                  RESULT_VARIABLE _pm_bpf_rc OUTPUT_QUIET ERROR_QUIET)
  if(_pm_bpf_rc EQUAL 0)
    set(_pm_bpf_ok ON)
  endif()
endif()

if(_pm_bpf_ok)
  add_custom_command(
    OUTPUT ${_pm_bpf_cpp}
    COMMAND ${TCPSCOPE_BPF_CLANG} -target bpf -O2 -g -Wall -Werror
            -c ${_pm_bpf_dir}/process_map.bpf.c -o ${_pm_bpf_out}/process_map.bpf.o
    COMMAND ${CMAKE_COMMAND} -DIN=${_pm_bpf_out}/process_map.bpf.o -DOUT=${_pm_bpf_cpp}
            -P ${_pm_bpf_dir}/embed.cmake
    DEPENDS ${_pm_bpf_dir}/process_map.bpf.c ${_pm_bpf_dir}/embed.cmake
    COMMENT "Compiling the process map's BPF iterator"
    VERBATIM)
else()
  message(STATUS "No clang that targets BPF: `-p` will always walk /proc")
  add_custom_command(
    OUTPUT ${_pm_bpf_cpp}
    COMMAND ${CMAKE_COMMAND} -DOUT=${_pm_bpf_cpp} -P ${_pm_bpf_dir}/embed.cmake
    DEPENDS ${_pm_bpf_dir}/embed.cmake
    VERBATIM)
endif()
target_sources(tcpscope_source PRIVATE ${_pm_bpf_cpp})
