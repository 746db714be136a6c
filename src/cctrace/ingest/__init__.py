"""From footage to sightings: sampling, detection, tracking, embedding, storing."""
