# -DCIE_CUDA=EMULATED (kernels/cuda/emulation/README.md): the CUDA sources compile as C++ with
# the host compiler against the emulation, which implements CUDA's and cuBLAS's declarations
# (from the CUDA toolkit's headers; nothing of the toolkit is linked) and runs kernels on the
# launching thread, each CUDA thread a fiber (Boost.Context's fcontext, Debian
# libboost-context-dev); Thrust runs on its CPP back end, from the toolkit's own Thrust.
find_package(CUDAToolkit REQUIRED)
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS context)
file(GLOB CIE_CUDA_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/kernels/cuda/*.cu)
file(GLOB CIE_CUDA_EMULATION_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.cpp)
# CMP0119: the LANGUAGE property makes CMake compile the .cu files as C++ (-x c++). Thrust's
# CPP back end binds references to null execution policies (thrust/detail/reference.h), which
# UBSan's null check would report under the sanitizers; ASan still catches a null access.
set_source_files_properties(${CIE_CUDA_SOURCES} PROPERTIES LANGUAGE CXX
  COMPILE_OPTIONS "-Wno-unknown-pragmas;-fno-sanitize=null")
target_sources(cie_engine PRIVATE ${CIE_CUDA_SOURCES} ${CIE_CUDA_EMULATION_SOURCES})
# The emulation's <cuda_runtime.h> first; it includes the toolkit's with #include_next.
target_include_directories(cie_engine BEFORE PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
target_include_directories(cie_engine SYSTEM PUBLIC ${CUDAToolkit_INCLUDE_DIRS}
  ${CUDAToolkit_INCLUDE_DIRS}/cccl)
target_compile_definitions(cie_engine PUBLIC THRUST_DEVICE_SYSTEM=THRUST_DEVICE_SYSTEM_CPP)
target_link_libraries(cie_engine PUBLIC Threads::Threads PRIVATE Boost::context)
# Under ThreadSanitizer, the ifunc resolvers GCC makes for target_clones (the CPU k-means tiles,
# the GBDT gradient and histogram passes, the CLV predictions' series) run before TSan's runtime
# is up and crash at start-up; those files go uninstrumented there (their OpenMP loops are outside
# what TSan checks here anyway: libgomp is not instrumented). gbdt_rows.cpp has compile options
# of its own (CMakeLists.txt): appended to.
if(CMAKE_CXX_FLAGS MATCHES "-fsanitize=thread")
  set_source_files_properties(${PROJECT_SOURCE_DIR}/kernels/cpu/kmeans_tiles.cpp PROPERTIES
    COMPILE_OPTIONS "-fno-sanitize=thread")
  set_property(SOURCE ${PROJECT_SOURCE_DIR}/kernels/cpu/gbdt_rows.cpp APPEND PROPERTY
    COMPILE_OPTIONS "-fno-sanitize=thread")
  set_source_files_properties(${PROJECT_SOURCE_DIR}/kernels/cpu/gbdt_histogram.cpp
    ${PROJECT_SOURCE_DIR}/kernels/cpu/clv.cpp PROPERTIES COMPILE_OPTIONS "-fno-sanitize=thread")
endif()
