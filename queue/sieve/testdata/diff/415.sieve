# 415: :days with a K suffix
require "vacation";
vacation :days 1K "Long.";
