# Firmware build of tinyml as a MicroPython user C module (CMake-based ports: rp2, esp32):
# make USER_C_MODULES=<repo>/native_modules/micropython/micropython.cmake ...
add_library(usermod_tinyml INTERFACE)

set(TINYML_CORE ${CMAKE_CURRENT_LIST_DIR}/../tinyml)
# CONFIGURE_DEPENDS: a source file added to the core is picked up by an existing build folder.
file(GLOB TINYML_CORE_SRC CONFIGURE_DEPENDS ${TINYML_CORE}/src/*.c ${TINYML_CORE}/src/kernels/*.c
    ${TINYML_CORE}/src/ops/*.c ${TINYML_CORE}/src/frontend/*.c ${TINYML_CORE}/src/motion/*.c)

# tml_config.h is listed (not compiled) so that the port's qstr scan depends on it: the binding's
# qstrs follow the core's build switches (TML_HAS_FRONTEND, ...), and a change there must make
# the port scan the sources again.
target_sources(usermod_tinyml INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/tinyml_mp.c
    ${TINYML_CORE_SRC}
    ${TINYML_CORE}/include/tml_config.h
)
target_include_directories(usermod_tinyml INTERFACE
    ${TINYML_CORE}/include
    ${TINYML_CORE}/src
    ${TINYML_CORE}/src/kernels
    ${TINYML_CORE}/src/frontend
    ${TINYML_CORE}/src/motion
)
target_link_libraries(usermod INTERFACE usermod_tinyml)

# The hot kernels (the multiply-accumulate loops) are compiled for speed even where the port
# builds for size.
file(STRINGS ${TINYML_CORE}/src/kernels/hot_kernels.txt TINYML_HOT_KERNELS)
list(TRANSFORM TINYML_HOT_KERNELS PREPEND ${TINYML_CORE}/src/kernels/)
list(TRANSFORM TINYML_HOT_KERNELS APPEND .c)
# Not on the RP2040 (Cortex-M0+): its firmware must leave room for models in flash below the
# filesystem, and there the speed flags cost 3.5 KB.
if(NOT PICO_PLATFORM STREQUAL "rp2040")
    set_source_files_properties(${TINYML_HOT_KERNELS} PROPERTIES COMPILE_OPTIONS -O2)
endif()
