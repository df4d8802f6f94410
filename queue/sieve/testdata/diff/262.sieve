# 262: redirect :copy keeps the implicit keep
require "copy";
redirect :copy "bob@example.org";
