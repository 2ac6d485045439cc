# Makes the gateway's web root WWW afresh from what the build made:
#   /                   the dashboard (DASHBOARD_DIST, when built)
#   /t.js               the storefront tracker (TRACKER_JS, when built)
#   /v1/openapi.json    the OpenAPI document (OPENAPI)
#   /docs/api/          its reference page (REFERENCE_DIR) with swagger-ui
#                       (SWAGGER_UI)
# Afresh, because the dashboard's asset names change with every build and
# old ones would linger.
#   cmake -DWWW=... -DOPENAPI=... -DREFERENCE_DIR=... -DSWAGGER_UI=...
#         [-DDASHBOARD_DIST=...] [-DTRACKER_JS=...] -P assemble_www.cmake
cmake_minimum_required(VERSION 3.25)
foreach(var WWW OPENAPI REFERENCE_DIR SWAGGER_UI)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "assemble_www.cmake: -D${var}=... is required")
  endif()
endforeach()

file(REMOVE_RECURSE "${WWW}")
file(MAKE_DIRECTORY "${WWW}/v1" "${WWW}/docs/api")
if(DASHBOARD_DIST)
  file(COPY "${DASHBOARD_DIST}/" DESTINATION "${WWW}")
endif()
if(TRACKER_JS)
  file(COPY "${TRACKER_JS}" DESTINATION "${WWW}")
endif()
file(COPY_FILE "${OPENAPI}" "${WWW}/v1/openapi.json")
file(COPY "${REFERENCE_DIR}/index.html" "${REFERENCE_DIR}/init.js"
  "${SWAGGER_UI}/swagger-ui-bundle.js" "${SWAGGER_UI}/swagger-ui.css"
  "${SWAGGER_UI}/favicon-32x32.png"
  DESTINATION "${WWW}/docs/api")
# swagger-ui is Apache-2.0: its license and notice travel with it.
file(COPY_FILE "${SWAGGER_UI}/LICENSE" "${WWW}/docs/api/swagger-ui-LICENSE.txt")
file(COPY_FILE "${SWAGGER_UI}/NOTICE" "${WWW}/docs/api/swagger-ui-NOTICE.txt")
