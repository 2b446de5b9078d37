#!/bin/sh
echo "cmocka was not found when configure ran: apt-get install libcmocka-dev, then ./configure again" >&2
exit 1
