# 387: redirect :copy twice to the same address
require "copy";
redirect :copy "bob@example.org";
redirect :copy "bob@example.org";
