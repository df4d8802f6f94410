# 263: redirect :copy and redirect without to the same address
require "copy";
redirect :copy "bob@example.org";
redirect "bob@example.org";
