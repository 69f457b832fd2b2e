# The Debian package: `cmake --build build --target package` makes
# folio_<version>_amd64.deb (CPack) with /usr/bin/folio, the built console under
# /usr/share/folio/web (which `folio serve` finds beside its binary), a man page made by
# help2man from --help, /etc/default/folio, and the systemd units folio.service (hardened,
# Type=notify) and folio-verify.timer. The files are in deploy/debian; the package is
# checked by tests/package/test_package.sh (lintian, dpkg, the installed server).
set(folio_debian ${PROJECT_SOURCE_DIR}/deploy/debian)
set(folio_packaging ${CMAKE_BINARY_DIR}/packaging)
# A native package: its changelog is changelog.gz.
configure_file(${folio_debian}/changelog.in ${folio_packaging}/changelog @ONLY)

install(TARGETS folio RUNTIME DESTINATION bin)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/web/dist/ DESTINATION share/folio/web)
install(FILES ${folio_debian}/folio.service ${folio_debian}/folio-verify.service
              ${folio_debian}/folio-verify.timer
        DESTINATION /lib/systemd/system)
install(FILES ${folio_debian}/default DESTINATION /etc/default RENAME folio)
install(FILES ${folio_debian}/README.Debian ${folio_debian}/copyright DESTINATION share/doc/folio)
# The man page and the compressed changelog are made when the package is (help2man runs
# the binary just built), not at every build.
install(CODE "
  execute_process(COMMAND ${folio_debian}/make-manpage.sh $<TARGET_FILE:folio> ${folio_packaging}
                  COMMAND_ERROR_IS_FATAL ANY)
  execute_process(COMMAND gzip -9nkf ${folio_packaging}/changelog
                  COMMAND_ERROR_IS_FATAL ANY)
")
install(FILES ${folio_packaging}/folio.1.gz DESTINATION share/man/man1)
install(FILES ${folio_packaging}/changelog.gz DESTINATION share/doc/folio)

set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME folio)
set(CPACK_PACKAGE_VENDOR "The Folio developers")
set(CPACK_PACKAGE_CONTACT "Folio developers <folio@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "event-sourced planning back end with optimistic locking")
set(CPACK_PACKAGE_DESCRIPTION
    "Folio is the back end of a portfolio, program and project planning tool
in which many planners edit the same plan at once and no edit is silently
lost: every change is a command carrying the version its author saw,
appended to an event store (SQLite, or PostgreSQL for several servers)
with an optimistic concurrency check. It serves an HTTP API and a web
console, and has audit tooling (replay, verify).")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${folio_debian}/conffiles ${folio_debian}/postinst ${folio_debian}/prerm
    ${folio_debian}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
