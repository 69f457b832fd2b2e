// Opens `acceptor` listening on host:port (0: any free port), as both the Server and the
// StartingListener that may hand its socket over to it do. Throws
// boost::system::system_error when the address cannot be bound.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>

namespace folio::http {

inline void listen_on(boost::asio::ip::tcp::acceptor& acceptor, const std::string& host,
                      unsigned short port) {
  const boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address(host), port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(boost::asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(boost::asio::socket_base::max_listen_connections);
}

}  // namespace folio::http
