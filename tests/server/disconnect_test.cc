// A client that goes away while the server has paused reading its stream (more requests outstanding than
// ActivationServiceOptions::max_stream_outstanding, responses not read) leaves nothing behind: the call
// finishes, so its reactor, buffers and connection are released.
#include <memory>

#include "gtest/gtest.h"
#include "tests/server/server_fixture.h"

namespace rectifier::server::itest {
namespace {

TEST(DisconnectTest, AClientGoneWhileItsStreamIsPausedLeavesNoCallBehind) {
  auto models = BuiltInModels();
  ASSERT_NE(models, nullptr);
  auto server = StartServer(LoopbackOptions(models.get()));
  ASSERT_NE(server, nullptr);
  {
    // 100 requests of 1 MiB whose responses are never read: the server's writes stall, 64 requests
    // become outstanding and it stops reading.
    StalledStream stalled(server->port(), 100);
    ASSERT_TRUE(WaitFor([&] { return server->gate().in_flight() == 1; }, 10000ms));
    std::this_thread::sleep_for(3000ms);  // Time to fill the outstanding limit (no signal to wait for).
  }  // Cancels the call: the client is gone.
  EXPECT_TRUE(WaitFor([&] { return server->gate().in_flight() == 0; }, 20000ms))
      << "the stream's call never finished after its client left";
}

}  // namespace
}  // namespace rectifier::server::itest
