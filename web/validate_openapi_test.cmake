# ctest openapi_valid: the build's OpenAPI document is valid, and the
# validator refuses the broken ones of testdata/, each for its reason.
#   cmake -DNODE=node -DWEB_DIR=web -DOPENAPI=build/openapi.json -P validate_openapi_test.cmake
cmake_minimum_required(VERSION 3.25)
set(validate ${NODE} ${WEB_DIR}/validate-openapi.mjs)
if(NOT EXISTS "${WEB_DIR}/node_modules/@apidevtools/swagger-parser")
  message(FATAL_ERROR "web/node_modules is missing: build the target www first")
endif()
execute_process(COMMAND ${validate} ${OPENAPI} RESULT_VARIABLE result OUTPUT_VARIABLE out)
message("${out}")
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${OPENAPI} is not a valid OpenAPI document")
endif()
foreach(case
    "broken-ref.json;Missing $ref pointer"
    "broken-path-parameter.json;path parameters [] do not match the path's [shop_id]")
  list(GET case 0 file)
  list(GET case 1 want)
  execute_process(COMMAND ${validate} ${WEB_DIR}/testdata/${file}
    RESULT_VARIABLE result OUTPUT_VARIABLE out)
  string(FIND "${out}" "${want}" at)
  if(result EQUAL 0 OR at EQUAL -1)
    message(FATAL_ERROR "testdata/${file}: expected a refusal naming \"${want}\", got:\n${out}")
  endif()
  message("refused as expected: ${out}")
endforeach()
